from kernels.factorized_reference import *
