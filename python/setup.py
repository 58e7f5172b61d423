"""setup.py — the package bundles the library it binds: building the wheel
(`pip install ./python`, `pip wheel ./python`) runs the DMMS Makefile of the
checkout this folder sits in and puts libdmms.so and libdmms_preload.so into
dmms/lib, so the installed package needs neither the checkout nor
DMMS_LIBRARY. The wheel is a platform wheel (py3-none-<platform>): it holds
native code but no extension module, so it fits every Python 3 of that
platform. Metadata is in pyproject.toml."""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools before 70 has it in the wheel package
    from wheel.bdist_wheel import bdist_wheel

CHECKOUT = Path(__file__).resolve().parent.parent
LIBRARIES = {"libdmms.so.0": "libdmms.so", "libdmms_preload.so": "libdmms_preload.so"}


class BuildWithLibraries(build_py):
    """build_py, then the libraries made by the checkout's Makefile."""

    def run(self):
        super().run()
        if not (CHECKOUT / "Makefile").exists() or not (CHECKOUT / "Sources" / "DMMS").is_dir():
            raise SystemExit(f"dmms: {CHECKOUT} is not a DMMS checkout: build the package from one "
                             "(pip install ./python in the checkout), which builds its libraries")
        make = os.environ.get("MAKE", "make")
        subprocess.run([make, "-C", str(CHECKOUT), "lib", "preload"], check=True)
        target = Path(self.build_lib) / "dmms" / "lib"
        target.mkdir(parents=True, exist_ok=True)
        for built, bundled in LIBRARIES.items():
            shutil.copyfile(CHECKOUT / "build" / "lib" / built, target / bundled)


class NativeDistribution(Distribution):
    """Holds native code: the wheel is tagged for this platform."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """py3-none-<platform>: no extension module, so any Python 3 of the platform."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=NativeDistribution, cmdclass={"build_py": BuildWithLibraries, "bdist_wheel": PlatformWheel})
