import pytest
import torch
from torch import nn

from colorization.bins import ab_bins
from colorization.decode import annealed_mean
from colorization.inference import load_colorizer
from colorization.model import OUTPUT_STRIDE, ColorizationNet, load_zhang_eccv16, target_ab
from colorization.shapes import INPUT_MULTIPLE, VGG16_MIN_INPUT


class ZhangECCV16(nn.Module):
    """Zhang et al.'s released PyTorch ECCV16 layout (``colorizers/eccv16.py``), written
    out here independently: model1..model8 nn.Sequential blocks and a fixed model_out."""

    def __init__(self):
        super().__init__()
        def convs(spec):  # (cin, cout, stride, dilation)
            out = []
            for cin, cout, s, d in spec:
                out += [nn.Conv2d(cin, cout, 3, s, d, d, bias=True), nn.ReLU(True)]
            return out
        self.model1 = nn.Sequential(*convs([(1, 64, 1, 1), (64, 64, 2, 1)]), nn.BatchNorm2d(64))
        self.model2 = nn.Sequential(*convs([(64, 128, 1, 1), (128, 128, 2, 1)]), nn.BatchNorm2d(128))
        self.model3 = nn.Sequential(*convs([(128, 256, 1, 1), (256, 256, 1, 1), (256, 256, 2, 1)]), nn.BatchNorm2d(256))
        self.model4 = nn.Sequential(*convs([(256, 512, 1, 1), (512, 512, 1, 1), (512, 512, 1, 1)]), nn.BatchNorm2d(512))
        self.model5 = nn.Sequential(*convs([(512, 512, 1, 2)] * 3), nn.BatchNorm2d(512))
        self.model6 = nn.Sequential(*convs([(512, 512, 1, 2)] * 3), nn.BatchNorm2d(512))
        self.model7 = nn.Sequential(*convs([(512, 512, 1, 1)] * 3), nn.BatchNorm2d(512))
        self.model8 = nn.Sequential(nn.ConvTranspose2d(512, 256, 4, 2, 1, bias=True), nn.ReLU(True),
                                    *convs([(256, 256, 1, 1)] * 2), nn.Conv2d(256, 313, 1, 1, 0, bias=True))
        self.softmax = nn.Softmax(dim=1)
        self.model_out = nn.Conv2d(313, 2, 1, padding=0, dilation=1, stride=1, bias=False)

    def forward(self, input_l):  # their forward, minus the final 4x upsampling
        x = (input_l - 50.0) / 100.0
        for i in range(1, 9):
            x = getattr(self, f"model{i}")(x)
        return self.model_out(self.softmax(x)) * 110.0


def test_output_is_313_logits_at_quarter_resolution():
    net = ColorizationNet(0.125)
    assert net(torch.rand(2, 1, 64, 48) * 100).shape == (2, 313, 16, 12)


def test_width_one_matches_zhang_parameter_layout():
    ours = ColorizationNet(1.0).state_dict()
    ref = ZhangECCV16().state_dict()
    assert list(ours) == list(ref)
    assert all(ours[k].shape == ref[k].shape for k in ref)


def test_zhang_state_dict_loads_and_gives_their_output(tmp_path):
    torch.manual_seed(0)
    ref = ZhangECCV16()
    with torch.no_grad():
        for m in ref.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        ref.model_out.weight.copy_(torch.from_numpy(ab_bins().T / 110.0).view(2, 313, 1, 1))
    state = {k: v for k, v in ref.state_dict().items() if not k.endswith("num_batches_tracked")}  # old release
    torch.save(state, tmp_path / "eccv16.pth")
    net = load_zhang_eccv16(tmp_path / "eccv16.pth")
    ref.eval()
    L = torch.rand(1, 1, 64, 64) * 100
    with torch.no_grad():
        # their output is the mean decode (softmax through model_out): our annealed mean at T = 1
        assert torch.allclose(annealed_mean(net(L), T=1.0), ref(L), atol=1e-4)
        # the colourize command and stage load the same file directly
        direct = load_colorizer(tmp_path / "eccv16.pth")
        assert torch.allclose(direct(L), net(L))


def test_zhang_loader_rejects_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="colorization_release_v2"):
        load_zhang_eccv16(tmp_path / "missing.pth")
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="not an ECCV16 state dict"):
        load_zhang_eccv16(tmp_path / "bad.pth")


def test_architecture_follows_table_1():
    net = ColorizationNet(1.0)
    convs = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))][:-1]  # minus model_out
    dil = [m.dilation[0] for m in convs]
    assert dil == [1] * 10 + [2] * 6 + [1] * 3 + [1] * 4  # conv5, conv6 dilated
    strides = [m.stride[0] for m in convs]
    assert strides.count(2) == 4 and isinstance(convs[-4], nn.ConvTranspose2d)  # 3 down, 1 up in conv8
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 7
    assert not net.model_out.weight.requires_grad


def test_regression_head_predicts_two_ab_channels():
    net = ColorizationNet(0.125, head="regression")
    out = net(torch.rand(2, 1, 32, 40) * 100)
    assert out.shape == (2, 2, 8, 10)
    with pytest.raises(ValueError, match="head"):
        ColorizationNet(0.125, head="ranking")


def test_input_limits_match_the_networks():
    from torchvision.models.vgg import cfgs

    assert VGG16_MIN_INPUT == 2 ** cfgs["D"].count("M")  # five max-pools in VGG-16
    net = ColorizationNet(0.0625).eval()
    for side in (INPUT_MULTIPLE, 2 * INPUT_MULTIPLE, 5 * INPUT_MULTIPLE):
        assert net(torch.zeros(1, 1, side, side)).shape[-1] == side // OUTPUT_STRIDE
    assert net(torch.zeros(1, 1, 12, 12)).shape[-1] != 12 // OUTPUT_STRIDE  # not a multiple: comes back wrong
    assert target_ab(torch.ones(1, 2, 16, 16)).shape == (1, 2, 4, 4)
