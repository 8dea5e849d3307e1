#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The Python package as its users call it: every API call, bad arguments,
hostile files, several threads on one Model, and agreement with the tools.

    PYTHONPATH=build/python BNN_SOURCE_DIR=. BNN_BIN_DIR=build/bin \
        BNN_BUNDLED_MODEL=build/models/fashion_bnn.bnn /usr/bin/python3 tests/python/test_package.py
"""
import glob
import io
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings

import numpy as np

import bnn

SOURCE = os.environ["BNN_SOURCE_DIR"]
BIN = os.environ["BNN_BIN_DIR"]
BUNDLED = os.environ["BNN_BUNDLED_MODEL"]
IMAGES = os.path.join(SOURCE, "examples", "images")
sys.path.insert(0, os.path.join(SOURCE, "tests", "parity"))
sys.path.insert(0, os.path.join(SOURCE, "train"))


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


class Running(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = bnn.Model(BUNDLED)
        cls.x = np.random.default_rng(1).standard_normal((3, 1, 28, 28)).astype(np.float32)

    def test_properties(self):
        m = self.model
        self.assertEqual(m.input_shape, (1, 28, 28))
        self.assertEqual(m.output_shape, (10,))
        self.assertEqual(len(m.labels), 10)
        self.assertEqual(m.threads, 1)
        self.assertEqual(m.path, BUNDLED)
        self.assertIn("input (1, 28, 28)", repr(m))
        self.assertRegex(bnn.__version__, r"^\d+\.\d+\.\d+$")

    def test_run_batch_and_single_image(self):
        y = self.model.run(self.x)
        self.assertEqual((y.shape, y.dtype), ((3, 10), np.float32))
        one = self.model.run(self.x[1])
        self.assertEqual(one.shape, (10,))
        np.testing.assert_array_equal(one, y[1])

    def test_matches_bnn_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            np.save(os.path.join(tmp, "x.npy"), self.x)
            subprocess.run([os.path.join(BIN, "bnn-run"), "--model", BUNDLED, "--input", os.path.join(tmp, "x.npy"),
                            "--output", os.path.join(tmp, "y.npy")], check=True, capture_output=True)
            np.testing.assert_array_equal(self.model.run(self.x), np.load(os.path.join(tmp, "y.npy")))

    def test_any_strides(self):
        wide = np.zeros((3, 1, 28, 56), np.float32)
        wide[..., ::2] = self.x
        strided = wide[..., ::2]
        self.assertFalse(strided.flags.c_contiguous)
        np.testing.assert_array_equal(self.model.run(strided), self.model.run(self.x))
        fortran = np.asfortranarray(self.x)
        np.testing.assert_array_equal(self.model.run(fortran), self.model.run(self.x))

    def test_bad_inputs_are_value_errors(self):
        with self.assertRaisesRegex(ValueError, r"dtype float64.*float32"):
            self.model.run(self.x.astype(np.float64))
        with self.assertRaisesRegex(ValueError, r"dtype int32"):
            self.model.run(np.zeros((1, 28, 28), np.int32))
        with self.assertRaisesRegex(ValueError, r"shape \(3, 1, 28, 27\) does not fit the model's input \(1, 28, 28\)"):
            self.model.run(np.zeros((3, 1, 28, 27), np.float32))
        with self.assertRaisesRegex(ValueError, r"does not fit"):
            self.model.run(np.zeros((28, 28), np.float32))
        with self.assertRaisesRegex(ValueError, r"the batch holds no images"):
            self.model.run(np.zeros((0, 1, 28, 28), np.float32))
        with self.assertRaises(TypeError):
            self.model.run([[0.0]])
        with self.assertRaisesRegex(ValueError, r"NaN or infinity"):
            self.model.run(np.full((1, 28, 28), np.nan, np.float32))
        unaligned = np.frombuffer(b"\0" + bytes(4 * 28 * 28), np.float32, offset=1).reshape(1, 28, 28)
        self.assertFalse(unaligned.flags.aligned)
        np.testing.assert_array_equal(self.model.run(unaligned), self.model.run(np.zeros((1, 28, 28), np.float32)))

    def test_classify_path_pil_array(self):
        from PIL import Image
        path = os.path.join(IMAGES, "sneaker_photo.jpg")
        top = self.model.classify(path, top=3)
        self.assertEqual(len(top), 3)
        self.assertEqual(top[0][0], "Sneaker")
        self.assertTrue(all(isinstance(label, str) and 0 <= p <= 1 for label, p in top))
        out = subprocess.run([os.path.join(BIN, "bnn-classify"), "--json", "--top", "3", path], check=True,
                             capture_output=True, text=True).stdout
        import json
        cli = json.loads(out)["top"]
        self.assertEqual([t[0] for t in top], [t["label"] for t in cli])
        for (_, p), t in zip(top, cli):
            self.assertAlmostEqual(p, t["probability"], places=3)
        png = os.path.join(IMAGES, "sneaker.png")
        from_file = self.model.classify(png, top=2)
        self.assertEqual(self.model.classify(Image.open(png), top=2), from_file)
        pixels = np.asarray(Image.open(png).convert("RGB"))
        self.assertEqual(self.model.classify(pixels, top=2), from_file)
        with open(path, "rb") as f:  # the file's bytes, decoded as the file is (EXIF included)
            self.assertEqual(self.model.classify(f.read(), top=3), top)
        self.assertEqual(len(self.model.classify(png, top=50)), 10)

    def test_classify_errors(self):
        with self.assertRaisesRegex(ValueError, r"uint8"):
            self.model.classify(np.zeros((28, 28), np.float32))
        with self.assertRaisesRegex(ValueError, r"H x W"):
            self.model.classify(np.zeros((28, 28, 2), np.uint8))
        with self.assertRaisesRegex(ValueError, r"top must be 1 to"):
            self.model.classify(os.path.join(IMAGES, "sneaker.png"), top=0)
        with self.assertRaisesRegex(ValueError, r"top must be 1 to"):
            self.model.classify(os.path.join(IMAGES, "sneaker.png"), top=2**40)
        with self.assertRaisesRegex(ValueError, r"holds no pixels"):
            self.model.classify(np.zeros((0, 5, 3), np.uint8))
        with self.assertRaises(ValueError):
            self.model.classify(b"not a picture")
        with self.assertRaises(FileNotFoundError):
            self.model.classify("/nonexistent/picture.png")
        with tempfile.NamedTemporaryFile(suffix=".png") as f:
            f.write(b"\x89PNG\r\n\x1a\n broken")
            f.flush()
            with self.assertRaises(ValueError):
                self.model.classify(f.name)

    def test_run_frame_matches_classify(self):
        from PIL import Image
        rgb = np.asarray(Image.open(os.path.join(IMAGES, "sneaker.png")).convert("RGB"))
        h, w, _ = rgb.shape
        logits = self.model.run_frame(rgb, "RGB", width=w, height=h)
        self.assertEqual(logits.shape, (10,))
        top = self.model.classify(rgb, top=1)[0]
        self.assertEqual(self.model.labels[int(logits.argmax())], top[0])
        self.assertAlmostEqual(float(softmax(logits).max()), top[1], places=5)
        # The same frame as bytes, with padded rows (stride), and in a GStreamer/ffmpeg spelling.
        padded = np.zeros((h, w * 3 + 8), np.uint8)
        padded[:, :w * 3] = rgb.reshape(h, -1)
        np.testing.assert_array_equal(self.model.run_frame(padded.tobytes(), "rgb24", width=w, height=h,
                                                           stride=w * 3 + 8), logits)
        nv12 = np.full(w * h * 3 // 2, 128, np.uint8)
        self.assertEqual(self.model.run_frame(nv12, width=w, height=h).shape, (10,))
        full = self.model.run_frame(nv12, width=w, height=h, matrix="bt709", range="full", rotation=90,
                                    roi=(0, 0, w // 2, h // 2))
        self.assertEqual(full.shape, (10,))
        # The top-left quarter as a region equals that quarter given as a frame of its own.
        quarter = np.ascontiguousarray(rgb[: h // 2, : w // 2])
        np.testing.assert_array_equal(self.model.run_frame(rgb, "RGB", width=w, height=h, roi=(0, 0, w // 2, h // 2)),
                                      self.model.run_frame(quarter, "RGB", width=w // 2, height=h // 2))

    def test_run_frame_errors(self):
        with self.assertRaisesRegex(ValueError, r"not a pixel format"):
            self.model.run_frame(b"\0" * 100, "XYZ", width=10, height=10)
        with self.assertRaisesRegex(ValueError, r"[0-9]+ bytes"):
            self.model.run_frame(b"\0" * 10, "NV12", width=64, height=48)
        with self.assertRaises(ValueError):
            self.model.run_frame(b"\0" * 100, "NV12", width=0, height=10)
        with self.assertRaises(TypeError):
            self.model.run_frame(12, "NV12", width=10, height=10)
        frame = b"\0" * (64 * 48 * 3 // 2)
        with self.assertRaisesRegex(ValueError, r"width must be 1 to"):
            self.model.run_frame(frame, "NV12", width=2**31, height=48)
        with self.assertRaisesRegex(ValueError, r"rotation must be"):
            self.model.run_frame(frame, "NV12", width=64, height=48, rotation=45)
        with self.assertRaisesRegex(ValueError, r"matrix must be"):
            self.model.run_frame(frame, "NV12", width=64, height=48, matrix="bt2020")
        with self.assertRaisesRegex(ValueError, r"range must be"):
            self.model.run_frame(frame, "NV12", width=64, height=48, range="tv")
        with self.assertRaises(ValueError):  # a region outside the frame
            self.model.run_frame(frame, "NV12", width=64, height=48, roi=(60, 40, 10, 10))

    def test_info_and_describe(self):
        info = self.model.info()
        self.assertEqual(info["input"]["shape_chw"], [1, 28, 28])
        self.assertEqual(len(info["labels"]), 10)
        self.assertEqual(info["preprocessing"]["color"], "GRAY")
        kinds = {layer["kind"] for layer in info["layers"]}
        self.assertTrue({"Conv2D", "BitserialConv2D", "Quantize"} <= kinds)
        self.assertTrue(all(layer["kernel"] and layer["schedule"] for layer in info["layers"]))
        self.assertIn("W1A1", {layer["bits"] for layer in info["layers"]})
        self.assertIn("BitserialConv2D", self.model.describe())

    def test_bytes_and_save(self):
        with open(BUNDLED, "rb") as f:
            data = f.read()
        m = bnn.Model(data, threads=2)
        self.assertIsNone(m.path)
        np.testing.assert_array_equal(m.run(self.x), self.model.run(self.x))
        with tempfile.TemporaryDirectory() as tmp:
            m.save(os.path.join(tmp, "copy.bnn"))
            with open(os.path.join(tmp, "copy.bnn"), "rb") as f:
                self.assertEqual(f.read(), data)

    def test_threads_argument(self):
        with self.assertRaisesRegex(ValueError, r"threads must be 1 to"):
            bnn.Model(BUNDLED, threads=0)
        with self.assertRaises(TypeError):
            bnn.Model(BUNDLED, threads=1.5)
        np.testing.assert_array_equal(bnn.Model(BUNDLED, threads=2).run(self.x), self.model.run(self.x))

    def test_one_model_from_several_threads(self):
        m = bnn.Model(BUNDLED, threads=1)
        rng = np.random.default_rng(7)
        batches = [rng.standard_normal((2, 1, 28, 28)).astype(np.float32) for _ in range(6)]
        want = [m.run(b) for b in batches]
        got, errors = {}, []

        def worker(k):
            try:
                for r in range(25):
                    i = (k + r) % len(batches)
                    y = m.run(batches[i])
                    if not np.array_equal(y, want[i]):
                        errors.append(f"thread {k}, round {r}: output differs")
                    got[k] = got.get(k, 0) + 1
                    m.classify(os.path.join(IMAGES, "sneaker.png"), top=1)
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(sum(got.values()), 100)


class HostileFiles(unittest.TestCase):
    def test_every_fuzz_seed_and_damage_is_an_exception(self):
        """The fuzz corpora (among them the crashers that were) and truncated or
        bit-flipped copies of them, each given to the call that reads its kind:
        models to Model, pictures to classify, ONNX files and checkpoints to
        convert. An exception of the right class or a result, never a crash."""
        corpus = os.path.join(SOURCE, "tests", "fuzz", "corpus")
        rng = np.random.default_rng(3)
        model = bnn.Model(BUNDLED)

        def variants(path):
            with open(path, "rb") as f:
                data = f.read()
            flipped = bytearray(data)
            for i in rng.integers(0, max(len(data), 1), size=8):
                if flipped:
                    flipped[i] ^= 0xFF
            return [data, data[: len(data) // 2], data[:16], bytes(flipped)]

        def load_and_run(data):
            m = bnn.Model(data)
            m.run(np.zeros(m.input_shape, np.float32))

        readers = {
            "model": (load_and_run, (bnn.ModelError, bnn.Error)),
            "image": (lambda data: model.classify(data), (ValueError,)),
            "onnx": (lambda data: bnn.convert(data), (bnn.ConvertError,)),
        }
        results = {}
        for kind, (read, expected) in readers.items():
            files = sorted(glob.glob(os.path.join(corpus, kind, "*")))
            self.assertTrue(files, kind)
            for path in files:
                for data in variants(path):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        try:
                            read(data)
                            results[kind, "ok"] = results.get((kind, "ok"), 0) + 1
                        except expected:
                            results[kind, "refused"] = results.get((kind, "refused"), 0) + 1
        with tempfile.TemporaryDirectory() as tmp:
            for path in sorted(glob.glob(os.path.join(corpus, "checkpoint", "*"))):
                for n, data in enumerate(variants(path)):
                    name = os.path.join(tmp, f"{n}_{os.path.basename(path)}")
                    with open(name, "wb") as f:
                        f.write(data)
                    for arch in ("bireal18", "reactnet18"):
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            try:
                                bnn.convert(name, arch=arch)
                            except bnn.ConvertError:
                                results["checkpoint", "refused"] = results.get(("checkpoint", "refused"), 0) + 1
        # The intact models, pictures and ONNX files are read; the damaged ones refused.
        for kind in ("model", "image", "onnx"):
            self.assertGreater(results.get((kind, "ok"), 0), 0, kind)
            self.assertGreater(results.get((kind, "refused"), 0), 0, kind)
        self.assertGreater(results.get(("checkpoint", "refused"), 0), 0)

    def test_model_errors(self):
        with self.assertRaisesRegex(bnn.ModelError, r"cannot open") as missing:
            bnn.Model("/nonexistent/model.bnn")
        self.assertIsInstance(missing.exception, FileNotFoundError)
        self.assertEqual(missing.exception.filename, "/nonexistent/model.bnn")
        self.assertEqual(bnn.ModelError.__module__, "bnn")
        onnx_file = os.path.join(SOURCE, "models", "fashion", "fashion_bnn.onnx")
        with self.assertRaisesRegex(bnn.ModelError, r"an ONNX model: convert it first"):
            bnn.Model(onnx_file)
        with self.assertRaisesRegex(bnn.ModelError, r"a picture, not a model"):
            bnn.Model(os.path.join(IMAGES, "sneaker.png"))
        with self.assertRaises(bnn.ModelError):
            bnn.Model(b"")
        self.assertTrue(issubclass(bnn.ModelError, bnn.Error))
        self.assertTrue(issubclass(bnn.ConvertError, bnn.Error))
        self.assertTrue(issubclass(bnn.Error, Exception))


class Converting(unittest.TestCase):
    def test_module_onnx_path_bytes_and_proto_agree(self):
        import onnx
        import torch
        import fashion_net
        torch.manual_seed(0)
        net = fashion_net.FashionNet().eval()
        x = torch.randn(2, 1, 28, 28)
        with torch.no_grad():
            want = net(x).numpy()
        from_module = bnn.convert(net, example_input=x[:1], labels=fashion_net.LABELS, color="grey",
                                  description="test")
        self.assertTrue(net.training is False)
        y = from_module.run(x.numpy())
        self.assertLess(np.abs(y - want).max() / (1 + np.abs(want).max()), 1e-4)
        self.assertTrue((y.argmax(1) == want.argmax(1)).all())
        self.assertEqual(from_module.labels, list(fashion_net.LABELS))
        self.assertEqual(from_module.info()["description"], "test")
        with tempfile.TemporaryDirectory() as tmp:
            onnx_path = os.path.join(tmp, "net.onnx")
            torch.onnx.export(net, x[:1], onnx_path, opset_version=13)
            out = os.path.join(tmp, "net.bnn")
            from_path = bnn.convert(onnx_path, out, mean=0.5, std=[0.25], resize="fit", invert=True)
            self.assertEqual(from_path.path, out)
            with open(onnx_path, "rb") as f:
                from_bytes = bnn.convert(f.read(), mean="0.5", std=0.25, resize="fit", invert=True)
            from_proto = bnn.convert(onnx.load(onnx_path), mean=0.5, std=0.25, resize="fit", invert=True)
            # The tool, with the same options, writes the same bytes.
            cli_out = os.path.join(tmp, "cli.bnn")
            subprocess.run([os.path.join(BIN, "bnn-convert"), onnx_path, "-o", cli_out, "--mean", "0.5", "--std",
                            "0.25", "--resize", "fit", "--invert"], check=True, capture_output=True)
            with open(cli_out, "rb") as f, open(out, "rb") as g:
                self.assertEqual(f.read(), g.read())
            for m in (from_path, from_bytes, from_proto):
                np.testing.assert_array_equal(m.run(x.numpy()), y)
            pre = from_path.info()["preprocessing"]
            self.assertEqual((pre["resize"], pre["invert"], pre["mean"], pre["std"]), ("fit", True, [0.5], [0.25]))

    def test_module_from_input_shape(self):
        import torch
        import fashion_net
        net = fashion_net.FashionNet()
        frozen = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
        frozen.eval()  # a frozen batchnorm inside a module in training mode
        m = bnn.convert(net, input_shape=(1, 28, 28))
        self.assertEqual(m.input_shape, (1, 28, 28))
        self.assertTrue(net.training)  # each submodule left as it was
        self.assertFalse(frozen.training)

    def test_labels_file_as_the_tool_reads_it(self):
        onnx_file = os.path.join(SOURCE, "models", "fashion", "fashion_bnn.onnx")
        with tempfile.TemporaryDirectory() as tmp:
            labels = os.path.join(tmp, "labels.txt")
            with open(labels, "wb") as f:
                f.write(b"T-shirt\r\n \nTrouser\n" + "".join(f"class {i}\n" for i in range(3, 10)).encode())
            ours = bnn.convert(onnx_file, os.path.join(tmp, "py.bnn"), labels=labels)
            subprocess.run([os.path.join(BIN, "bnn-convert"), onnx_file, "-o", os.path.join(tmp, "cli.bnn"), "--labels",
                            labels], check=True, capture_output=True)
            with open(os.path.join(tmp, "py.bnn"), "rb") as f, open(os.path.join(tmp, "cli.bnn"), "rb") as g:
                self.assertEqual(f.read(), g.read())
            self.assertEqual(ours.labels[:3], ["T-shirt", " ", "Trouser"])

    def test_checkpoint_with_arch_and_warnings(self):
        import argparse
        import collections
        import torch
        import checkpoints
        net = checkpoints.randomize(checkpoints.ARCHS["reactnet18"]([16, 24, 40, 72], 10), seed=1)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "checkpoint.pth.tar")
            torch.save({"epoch": 1, "state_dict": collections.OrderedDict(("module." + k, v)
                                                                          for k, v in net.state_dict().items()),
                        "optimizer": torch.optim.SGD(net.parameters(), lr=0.1).state_dict()}, path)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                m = bnn.convert(path, arch="reactnet18", input_shape="3x64x64")
            self.assertTrue(any(issubclass(w.category, bnn.ConvertWarning) and "state dict under" in str(w.message)
                                for w in caught), [str(w.message) for w in caught])
            x = torch.randn(1, 3, 64, 64)
            with torch.no_grad():
                want = net(x).numpy()
            y = m.run(x.numpy())
            self.assertTrue((y.argmax(1) == want.argmax(1)).all())
            with self.assertRaisesRegex(bnn.ConvertError, r"--arch|arch"):
                bnn.convert(path, arch="nonexistent")
            with self.assertRaisesRegex(bnn.ConvertError, r"holds weights, not an ONNX graph: give its architecture with arch="):
                bnn.convert(path)

    def test_option_errors(self):
        onnx_file = os.path.join(SOURCE, "models", "fashion", "fashion_bnn.onnx")
        for kwargs, pattern in [
            ({"color": "purple"}, r"color must be one of rgb, bgr, grey"),
            ({"resize": "short-side:2"}, r"resize must be direct, fit or short-side"),
            ({"bits": "1x2"}, r"bits goes with arch"),
            ({"calibration": "x.npy"}, r"calibration goes with int8_stem"),
            ({"center_weights": True}, r"center_weights goes with arch='xnor18'"),
            ({"input_shape": (3, 0, 5)}, r"input_shape must be C x H x W"),
            ({"mean": "a,b"}, r"mean must be a number"),
            ({"mean": "1,,2"}, r"mean must be a number"),
            ({"resize": "FIT"}, r"resize must be direct, fit or short-side"),  # spelt as --resize takes it
            ({"resize": "short-side:"}, r"resize must be direct, fit or short-side"),
        ]:
            with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, pattern):
                bnn.convert(onnx_file, **kwargs)
        with self.assertRaises(TypeError):
            bnn.convert(42)
        with self.assertRaisesRegex(bnn.ConvertError, r"cannot open|No such file"):
            bnn.convert("/nonexistent/net.onnx")

    def test_int8_stem_with_calibration_array(self):
        onnx_file = os.path.join(SOURCE, "models", "fashion", "fashion_bnn.onnx")
        calibration = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
        m = bnn.convert(onnx_file, int8_stem=True, calibration=calibration)
        self.assertIn("Int8Conv2D", {layer["kind"] for layer in m.info()["layers"]})
        self.assertRegex(m.conversion, r"int8 stem: layer .* from --calibration .*\(4 inputs\)")
        with self.assertRaisesRegex(ValueError, r"calibration has dtype float64"):
            bnn.convert(onnx_file, int8_stem=True, calibration=calibration.astype(np.float64))


class Tuning(unittest.TestCase):
    def test_tune_keeps_outputs(self):
        x = np.random.default_rng(5).standard_normal((2, 1, 28, 28)).astype(np.float32)
        lines = []
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "tuned.bnn")
            tuned = bnn.tune(BUNDLED, out, threads=1, budget_seconds=5, progress=lines.append)
            self.assertTrue(os.path.getsize(out) > 0)
            self.assertEqual(tuned.path, out)
        self.assertTrue(lines)
        self.assertTrue(tuned.tuning and all("schedule" in r and r["default_ms"] > 0 for r in tuned.tuning))
        np.testing.assert_array_equal(tuned.run(x), bnn.Model(BUNDLED).run(x))
        with self.assertRaisesRegex(ValueError, r"budget_seconds must be positive"):
            bnn.tune(BUNDLED, budget_seconds=0)
        with self.assertRaises(bnn.ModelError):
            bnn.tune(os.path.join(IMAGES, "sneaker.png"), progress=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
