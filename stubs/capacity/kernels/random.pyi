from kernels.random import *
