# SPDX-License-Identifier: Apache-2.0
"""bnn-engine from Python: convert binarized and low-bit PyTorch models and run them.

    import bnn, torch
    model = bnn.convert(net, example_input=torch.randn(1, 3, 32, 32))   # a torch.nn.Module
    y = model.run(x)                                # numpy float32, N x C x H x W or C x H x W
    model = bnn.Model("net.bnn", threads=2)
    model.classify("photo.jpg", top=3)              # [(label, probability), ...]

Everything runs in the engine the command-line tools use (the same bytes, the
same outputs); errors are Python exceptions carrying the engine's message:
bnn.ModelError for a model file that cannot be used, bnn.ConvertError for a
network the converter refuses, ValueError for a bad argument. See docs/python.md.
"""
import errno
import io
import json
import os
import sys
import tempfile
import warnings

import numpy as np

from . import _bnn

__all__ = ["Model", "convert", "tune", "Error", "ModelError", "ModelNotFoundError", "ConvertError", "ConvertWarning",
           "ModelWarning", "__version__"]
__version__ = _bnn.version

Error = _bnn.Error                # every error the engine raises
ModelError = _bnn.ModelError      # a model file that is damaged, not a model, or not valid
ConvertError = _bnn.ConvertError  # a network or checkpoint the converter cannot convert
for _class in (Error, ModelError, ConvertError):
    _class.__module__ = __name__


class ModelNotFoundError(ModelError, FileNotFoundError):
    """A model path that names no file (both a ModelError and a FileNotFoundError)."""


class ConvertWarning(UserWarning):
    """Something the converter worked around (bnn-convert prints these as warnings)."""


class ModelWarning(UserWarning):
    """Something wrong with a model file that was worked around at load, with its fix
    (bnn-run prints these as warnings)."""


_INT32_MAX = 2**31 - 1


def _int(value, what, low, high=_INT32_MAX):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be {low} to {high}, not {value}")
    return int(value)


def _path(value, what):
    """A path argument as str (os.PathLike and bytes accepted)."""
    try:
        return os.fsdecode(os.fspath(value))
    except TypeError:
        raise TypeError(f"{what} must be a path (str or os.PathLike), not {type(value).__name__}") from None


def _threads(threads):
    return _int(threads, "threads", 1, _bnn.max_threads)


class Model:
    """A converted model (.bnn), loaded, verified and bound to this CPU's kernels.

    Model(source, threads=1): `source` is a .bnn path or its bytes; `threads`
    the threads inside each layer (outputs are identical for every count).
    One Model may be used from several Python threads at once; the GIL is
    released while the engine runs.
    """

    def __init__(self, source, threads=1, *, verify=True):
        if isinstance(source, (bytes, bytearray, memoryview)):
            source, self.path = bytes(source), None
        else:
            source = self.path = _path(source, "source")
            if not os.path.exists(source):
                raise ModelNotFoundError(errno.ENOENT, f"{source}: cannot open (no such file)", source)
        self._model = _bnn.Model(source, _threads(threads), bool(verify))
        self._bytes = source if self.path is None else None
        # What the tools print on loading: the file's problems worked around, and
        # each layer whose baked schedule does not fit this CPU (run with the default).
        for message in self._model.warnings + self._model.schedule_notes:
            warnings.warn(message, ModelWarning, stacklevel=2)

    # What the model takes and gives (PyTorch's layout).
    @property
    def input_shape(self):
        """The input of one image, C x H x W."""
        return tuple(self._model.input_shape)

    @property
    def output_shape(self):
        return tuple(self._model.output_shape)

    @property
    def labels(self):
        return list(self._model.labels)

    @property
    def threads(self):
        return self._model.threads

    @property
    def warnings(self):
        """What is wrong with the file but was worked around at load, each with its fix."""
        return list(self._model.warnings)

    def run(self, x):
        """The model's output for `x`: float32, C x H x W (one image) or N x C x H x W.

        Any strides are accepted (a copy is made when `x` is not C-contiguous);
        another dtype is refused rather than silently converted. Returns a new
        float32 array: the output's shape, with N in front for a batch.
        """
        if not isinstance(x, np.ndarray):
            if not hasattr(x, "__array__"):
                raise TypeError(f"x must be a numpy array (float32), not {type(x).__name__}")
            x = np.asarray(x)
        if x.dtype != np.float32:
            raise ValueError(f"x has dtype {x.dtype}; the model takes float32 (x.astype(np.float32))")
        x = np.require(x, np.float32, ["C_CONTIGUOUS", "ALIGNED"])
        if not np.isfinite(x).all():
            raise ValueError("x holds NaN or infinity; the model's input must be finite")
        return self._model.run(x)

    def run_frame(self, buffer, format="NV12", *, width, height, stride=0, rotation=0, roi=None, matrix="bt601",
                  range="limited"):
        """One camera frame through the model's own preprocessing; the model's output.

        `buffer`: the frame's bytes (bytes, bytearray, memoryview or a numpy
        array, as Picamera2 gives them); `format`: NV12, NV21, I420, YUYV,
        RGB, BGR, RGBA, BGRA, GRAY8 (GStreamer and ffmpeg names too, any
        case); `stride`: bytes per row, 0 for tightly packed rows;
        `rotation`: 0, 90, 180 or 270 degrees clockwise to make it upright;
        `roi`: (x, y, width, height) of the part to use, in the frame's own
        pixels; `matrix` "bt601" or "bt709" and `range` "limited" or "full":
        how its YUV codes become RGB (a camera's still or JPEG-like stream is
        usually full range).
        """
        width, height = _int(width, "width", 1), _int(height, "height", 1)
        stride = _int(stride, "stride", 0)
        if rotation not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation!r}")
        if roi is None:
            roi = []
        else:
            roi = [_int(v, "roi", 0) for v in roi]
            if len(roi) != 4:
                raise ValueError("roi must be (x, y, width, height)")
        if matrix not in ("bt601", "bt709"):
            raise ValueError(f"matrix must be 'bt601' or 'bt709', not {matrix!r}")
        if range not in ("limited", "full"):
            raise ValueError(f"range must be 'limited' or 'full', not {range!r}")
        if isinstance(buffer, np.ndarray):
            data = np.ascontiguousarray(buffer).reshape(-1).view(np.uint8)
        else:
            try:
                data = np.frombuffer(memoryview(buffer).cast("B"), dtype=np.uint8)
            except TypeError:
                raise TypeError(f"buffer must hold bytes (bytes, bytearray, memoryview or a numpy array), "
                                f"not {type(buffer).__name__}") from None
        return self._model.run_frame(data, str(format), width, height, stride, rotation, roi, matrix, range)

    def classify(self, image, top=3):
        """The `top` most probable classes of a picture, as [(label, probability), ...].

        `image`: a file path or the file's bytes (JPEG, PNG, BMP, PGM/PPM; a
        JPEG's EXIF orientation applied, as bnn-classify reads it), a PIL
        image (its EXIF orientation applied too), or a uint8 array H x W
        (grey), H x W x 3 (RGB) or H x W x 4 (RGBA). The picture goes through
        the model's own preprocessing (its colour, resize, mean and std).
        """
        top = _int(top, "top", 1)
        if isinstance(image, (bytes, bytearray, memoryview)):
            return self._model.classify_encoded(bytes(image), top)
        if isinstance(image, (str, os.PathLike)):
            path = _path(image, "image")
            if not os.path.exists(path):
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
            return self._model.classify_file(path, top)
        if hasattr(image, "convert") and hasattr(image, "mode"):  # a PIL image
            from PIL import ImageOps
            image = ImageOps.exif_transpose(image)
            mode = "L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGBA" if "A" in image.mode else "RGB"
            image = np.asarray(image.convert(mode))
        if not isinstance(image, np.ndarray):
            raise TypeError(f"image must be a path, a PIL image or a numpy array, not {type(image).__name__}")
        if image.dtype != np.uint8:
            raise ValueError(f"a picture array must be uint8 (0 to 255), not {image.dtype}")
        return self._model.classify_pixels(np.require(image, np.uint8, ["C_CONTIGUOUS"]), top)

    def info(self):
        """The model as a dict: input, output, preprocessing, labels, layers (kinds,
        bits, kernels, schedules), sizes and this CPU (`bnn-run --info --json`)."""
        return json.loads(self._model.describe_json())

    def describe(self):
        """The text `bnn-run --info` prints."""
        return self._model.describe()

    def _file_bytes(self):
        """The model file's bytes: those it was made or loaded from, or its file as it is now."""
        return self._bytes if self._bytes is not None else _bnn.read_model_file(self.path)

    def save(self, path):
        """Writes the model file as the tools write files: a temporary file renamed into place."""
        _bnn.write_file(_path(path, "path"), self._file_bytes())

    def __repr__(self):
        where = repr(self.path) if self.path else "from bytes"
        return f"<bnn.Model {where}: input {self.input_shape}, output {self.output_shape}, threads={self.threads}>"


# Conversion ---------------------------------------------------------------

def _floats(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    elif np.isscalar(value):
        value = [value]
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number or a sequence of numbers, not {value!r}") from None


def _color(color):
    if color is None:
        return ""  # from the input's channels: 1 grey, 3 RGB
    names = {"rgb": "RGB", "bgr": "BGR", "grey": "GRAY", "gray": "GRAY"}
    if not isinstance(color, str) or color.lower() not in names:
        raise ValueError(f"color must be one of rgb, bgr, grey (gray), not {color!r}")
    return names[color.lower()]


def _resize(resize):
    """(mode, crop_fraction) from direct | fit | short-side[:F]."""
    if resize is None:
        return "direct", 1.0
    if isinstance(resize, str):  # spelt as bnn-convert --resize takes it
        mode, colon, fraction = resize.partition(":")
        if mode in ("direct", "fit") and not colon:
            return mode, 1.0
        if mode == "short-side":
            try:
                f = float(fraction) if colon else 1.0
            except ValueError:
                f = -1.0
            if 0 < f <= 1:
                return mode, f
    raise ValueError(f"resize must be direct, fit or short-side[:F] with 0 < F <= 1, not {resize!r}")


def _labels(labels):
    """(labels, file): a list of str, or a file read as bnn-convert --labels reads it."""
    if labels is None:
        return [], ""
    if isinstance(labels, (str, bytes, os.PathLike)):
        return [], _path(labels, "labels")
    labels = list(labels)
    if not all(isinstance(label, str) for label in labels):
        raise TypeError("labels must be a file name or a sequence of str")
    return labels, ""


def _bits(bits):
    if bits is None:
        return 0, 0
    if isinstance(bits, str):
        w, _, a = bits.lower().partition("x")
        bits = (w, a)
    try:
        w, a = (int(b) for b in bits)
    except (TypeError, ValueError):
        w = a = 0
    if not (1 <= w <= 4 and 1 <= a <= 4):
        raise ValueError(f"bits must be 'WxA' or (W, A), 1 to 4 bits each (e.g. '1x2'), not {bits!r}")
    return w, a


def _input_chw(shape):
    if shape is None:
        return []
    if isinstance(shape, str):
        shape = shape.lower().split("x")
    try:
        dims = [int(d) for d in shape]
    except (TypeError, ValueError):
        dims = []
    if len(dims) == 4:  # N x C x H x W: the batch does not matter
        dims = dims[1:]
    if len(dims) != 3 or not all(1 <= d <= 65536 for d in dims):
        raise ValueError(f"input_shape must be C x H x W (or N x C x H x W), e.g. (3, 224, 224), not {shape!r}")
    return dims


def _export_module(module, example_input, input_shape, opset_version):
    """A torch.nn.Module exported to ONNX in memory, as torch.onnx.export writes it."""
    import torch  # only this path needs torch

    if example_input is None:
        if input_shape is None:
            raise ValueError("converting a torch.nn.Module needs example_input (a tensor) or input_shape (C, H, W)")
        example_input = torch.randn(1, *_input_chw(input_shape))
    if isinstance(example_input, np.ndarray):
        example_input = torch.from_numpy(example_input)
    if example_input.dim() == 3:
        example_input = example_input.unsqueeze(0)
    buffer = io.BytesIO()
    modes = {m: m.training for m in module.modules()}  # restored one by one (a frozen batchnorm stays frozen)
    module.eval()
    try:
        torch.onnx.export(module, example_input, buffer, opset_version=opset_version, input_names=["input"],
                          output_names=["output"])
    finally:
        for m, training in modes.items():
            m.training = training
    return buffer.getvalue()


def convert(source, output=None, *, input_shape=None, example_input=None, arch=None, bits=None, labels=None,
            color=None, resize=None, invert=False, mean=None, std=None, description=None, int8_stem=False,
            calibration=None, center_weights=False, opset_version=13, threads=1):
    """Converts a network to a bnn model, as bnn-convert does; returns the Model.

    `source`: an ONNX file (from torch.onnx.export), a torch.save checkpoint or
    safetensors file with `arch=` (bnn-convert --list-archs), ONNX bytes or an
    onnx.ModelProto, or a torch.nn.Module (exported to ONNX in memory with
    `example_input`, or a random input of `input_shape`). `output`: also
    write the model there. The other keywords are bnn-convert's options:
    input_shape (--input), arch, bits ('1x2' or (1, 2)), labels (a file or a
    list), color ('rgb', 'bgr', 'grey'), resize ('direct', 'fit',
    'short-side:0.875'), invert, mean, std, description, int8_stem,
    calibration (an .npy, a folder of pictures, or an array N x C x H x W),
    center_weights. The converter's warnings become ConvertWarning warnings.
    """
    if not _bnn.has_converter:
        raise Error("this build of bnn has no converter (built with BNN_BUILD_CONVERTER=OFF)")
    if bits is not None and arch is None:
        raise ValueError("bits goes with arch (an ONNX graph holds its own bit widths)")
    if center_weights and arch != "xnor18":
        raise ValueError("center_weights goes with arch='xnor18' (torchvision's layout)")
    if calibration is not None and not int8_stem:
        raise ValueError("calibration goes with int8_stem=True (it sets the int8 input range)")
    if arch is not None and not isinstance(source, (str, bytes, os.PathLike)):
        raise ValueError("arch= reads a checkpoint file: give its path")

    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if hasattr(source, "SerializeToString"):  # an onnx.ModelProto
        source = source.SerializeToString()
    elif not isinstance(source, (str, bytes, os.PathLike)) and hasattr(source, "state_dict"):  # a torch.nn.Module
        source = _export_module(source, example_input, input_shape, opset_version)
    elif isinstance(source, (str, os.PathLike)):
        source = _path(source, "source")
    elif not isinstance(source, bytes):
        raise TypeError(f"source must be a path, ONNX bytes, an onnx.ModelProto or a torch.nn.Module, "
                        f"not {type(source).__name__}")

    mode, crop_fraction = _resize(resize)
    label_list, labels_path = _labels(labels)
    options = {
        "labels": label_list, "labels_path": labels_path, "color": _color(color), "resize": mode, "crop_fraction": crop_fraction,
        "invert": bool(invert), "mean": _floats(mean, "mean"), "std": _floats(std, "std"),
        "input_chw": _input_chw(input_shape), "description": description or "", "center_weights": bool(center_weights),
        "int8_stem": bool(int8_stem), "calibration": "",
    }
    with tempfile.TemporaryDirectory(prefix="bnn-convert-") as scratch:
        if isinstance(calibration, np.ndarray):  # example inputs in memory: the converter reads an .npy
            if calibration.dtype != np.float32:
                raise ValueError(f"calibration has dtype {calibration.dtype}; example inputs are float32")
            options["calibration"] = os.path.join(scratch, "calibration.npy")
            np.save(options["calibration"], np.ascontiguousarray(calibration))
        elif calibration is not None:
            options["calibration"] = _path(calibration, "calibration")
        data, messages, summary = _bnn.convert(source, arch or "", _bits(bits), options)
    for message in messages:
        warnings.warn(message, ConvertWarning, stacklevel=2)
    model = Model(data, threads)
    model.conversion = summary  # what bnn-convert prints: layer counts (and the int8 stem's scale)
    if output is not None:
        model.save(output)
        model.path = _path(output, "output")
    return model


# Tuning -------------------------------------------------------------------

def tune(model, output=None, *, threads=1, budget_seconds=None, exhaustive=False, min_gain=0.05, screened_per_layer=64,
         timed_per_layer=6, progress=True):
    """Searches each convolution's schedule on this CPU, as bnn-tune does; returns the tuned Model.

    `model`: a .bnn path, its bytes or a Model; `output`: also write the tuned
    model there; `threads`: the thread count it will run with;
    `budget_seconds`: stop timing after this long (untimed layers keep the
    default); `progress`: True prints a line per step on stderr, a callable
    gets each line, False is silent. The returned model's `tuning` holds one
    dict per layer (default and tuned ms, schedule, kept inside the network;
    with `exhaustive`, the guided choice against the fastest candidate).
    `screened_per_layer` and `timed_per_layer` are bnn-tune's options of those
    names. Tuned and untuned models give identical outputs.
    """
    if isinstance(model, Model):
        data = model._file_bytes()
    elif isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
    else:
        data = _bnn.read_model_file(_path(model, "model"))
    _threads(threads)
    if budget_seconds is not None and not budget_seconds > 0:
        raise ValueError(f"budget_seconds must be positive, not {budget_seconds!r}")
    if not 0 <= min_gain < 1:
        raise ValueError(f"min_gain must be a fraction in [0, 1), not {min_gain!r}")
    if progress is True:
        def progress(line):
            print(f"bnn.tune: {line}", file=sys.stderr, flush=True)
    elif progress is False or progress is None:
        progress = None
    elif not callable(progress):
        raise TypeError("progress must be True, False or a callable taking one line")
    tuned, layers = _bnn.tune(data, threads, float(budget_seconds or 0), bool(exhaustive), float(min_gain),
                              _int(screened_per_layer, "screened_per_layer", 1, 100000),
                              _int(timed_per_layer, "timed_per_layer", 1, 1000), progress)
    result = Model(tuned, threads)
    result.tuning = layers
    if output is not None:
        result.save(output)
        result.path = _path(output, "output")
    return result
