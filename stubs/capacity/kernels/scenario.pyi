from kernels.scenario import *
