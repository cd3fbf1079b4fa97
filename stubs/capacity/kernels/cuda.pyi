from kernels.cuda import *
