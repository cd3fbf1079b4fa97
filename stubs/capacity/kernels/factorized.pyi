from kernels.factorized import *
