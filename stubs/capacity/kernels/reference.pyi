from kernels.reference import *
