from kernels.montecarlo_reference import *
