from kernels.backends import *
