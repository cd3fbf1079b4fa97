from kernels.choice import *
