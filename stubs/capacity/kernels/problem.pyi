from kernels.problem import *
