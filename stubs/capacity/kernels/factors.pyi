from kernels.factors import *
