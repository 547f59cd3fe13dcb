"""edgesim: a simulated Huawei Cloud IEF edge platform."""

__version__ = "0.1.0"
