from kernels.rows import *
