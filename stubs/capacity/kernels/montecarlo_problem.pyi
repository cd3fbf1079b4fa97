from kernels.montecarlo_problem import *
