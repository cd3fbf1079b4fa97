from kernels.sampling import *
