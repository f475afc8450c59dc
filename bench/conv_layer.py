"""The conv-layer and LeNet-5 rows of run.py on their own: python bench/conv_layer.py [--repeat R] [--json]"""
import sys

import run

if __name__ == "__main__":
    run.main(["--only", "conv,lenet_train"] + sys.argv[1:])
