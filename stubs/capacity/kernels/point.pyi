from kernels.point import *
