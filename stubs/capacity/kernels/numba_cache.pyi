from kernels.numba_cache import *
