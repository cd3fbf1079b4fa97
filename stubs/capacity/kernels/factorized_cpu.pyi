from kernels.factorized_cpu import *
