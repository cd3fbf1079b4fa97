from kernels.blocks import *
