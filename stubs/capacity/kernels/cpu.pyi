from kernels.cpu import *
