"""A small PyTorch inference, on the GPU when one is visible.

It says which PyTorch, CUDA and cuDNN it runs on, puts a small
convolutional network on the device and classifies a batch of random
images: enough to prove that libtorch_cuda, cuBLAS and cuDNN load and run.
A real service loads its weights from a mounted volume instead
(torch.load("/models/model.pt", weights_only=True)).
"""

import sys

import torch


def main() -> int:
    on_gpu = torch.cuda.is_available()
    device = torch.device("cuda" if on_gpu else "cpu")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    if on_gpu:
        print(f"device: {torch.cuda.get_device_name(device)}")
    else:
        print("device: cpu (no GPU visible: run with --gpus all on a host with the NVIDIA driver)")

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, kernel_size=3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 10),
    ).to(device).eval()
    images = torch.randn(8, 3, 64, 64, device=device)
    with torch.inference_mode():
        classes = model(images).softmax(dim=1).argmax(dim=1)
    print(f"classes: {classes.tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
