from kernels.montecarlo_cuda import *
