"""The smallest inputs the two networks take, kept free of torch so that params can
be checked in the first second of every stage (tests hold them to the networks)."""

# ColorizationNet halves its input three times (conv1_2, conv2_2, conv3_3) and doubles
# it once (conv8_1): a side must be a multiple of 2**3 to come back at exactly 1/4.
INPUT_MULTIPLE = 8
# VGG-16 (torchvision config "D") max-pools five times: below 2**5 px nothing is left.
VGG16_MIN_INPUT = 32
