from kernels.compose import *
