from kernels.montecarlo_cpu import *
