from kernels.jit_options import *
