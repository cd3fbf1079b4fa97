from kernels.partial import *
