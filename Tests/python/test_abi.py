"""The ctypes mirror of dmms.h (python/dmms/abi.py) against the header itself:
struct layouts as a C compiler sees them, every function's prototype, every
callback type and every constant."""

import ctypes
import re
import subprocess
import sys
from ctypes import POINTER, c_char_p, c_int32, c_size_t, c_uint32, c_uint64, c_void_p

import dmms
from dmms import abi

from conftest import LIBRARY, REPO

HEADER = (REPO / "include" / "dmms.h").read_text()


def test_struct_layouts_match_the_c_compiler(compile_c):
    """sizeof, alignment and every field's offset and size, from C."""
    lines = ["#include <dmms.h>", "#include <stddef.h>", "#include <stdio.h>", "int main(void) {"]
    expected = []
    for struct, c_name in abi.C_NAMES.items():
        lines.append(f'printf("{c_name} %zu %zu\\n", sizeof({c_name}), _Alignof({c_name}));')
        expected.append(f"{c_name} {ctypes.sizeof(struct)} {ctypes.alignment(struct)}")
        for name, _ in struct._fields_:
            lines.append(f'printf("{c_name}.{name} %zu %zu\\n", offsetof({c_name}, {name}), '
                         f'sizeof((({c_name} *)0)->{name}));')
            field = getattr(struct, name)
            expected.append(f"{c_name}.{name} {field.offset} {field.size}")
    lines.append("return 0; }")
    program = compile_c("\n".join(lines), "layout", "-std=c11")
    printed = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout
    assert printed.splitlines() == expected


def test_structs_have_the_headers_fields_in_order():
    """Layout alone would miss a dropped padding field ("reserved")."""
    text = re.sub(r"/\*.*?\*/", " ", HEADER, flags=re.S)
    bodies = dict((name, body) for body, name in
                  re.findall(r"typedef struct \w+ \{(.*?)\} (\w+);", text, flags=re.S))
    for struct, c_name in abi.C_NAMES.items():
        names = []
        for declaration in bodies[c_name].split(";"):
            for part in declaration.split(","):
                match = re.search(r"(\w+)\s*(?:\[\w+\])?\s*$", part)
                if match:
                    names.append(match[1])
        assert [name for name, _ in struct._fields_] == names, c_name


def _declarations():
    """The header's statements with comments and preprocessor lines gone."""
    text = re.sub(r"/\*.*?\*/", " ", HEADER, flags=re.S)
    text = "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith("#") and line.strip() not in ('extern "C" {', "}"))
    return [" ".join(statement.split()) for statement in text.split(";")]


# C types of dmms.h and the ctypes type that must stand for each.
C_TYPES = {
    "void": None, "uint32_t": c_uint32, "uint64_t": c_uint64, "int32_t": c_int32,
    "size_t": c_size_t, "dmms_status_t": c_int32, "const char *": c_char_p, "char *": c_char_p,
    "void *": c_void_p, "const void *": c_void_p, "dmms_pool_t *": c_void_p,
    "dmms_config_t *": POINTER(abi.Config), "const dmms_config_t *": POINTER(abi.Config),
    "dmms_stats_t *": POINTER(abi.Stats),
    "const dmms_block_info_t *": POINTER(abi.BlockInfo),
    "const dmms_error_t *": POINTER(abi.Error),
    "dmms_output_fn": abi.OUTPUT_FN, "dmms_walk_fn": abi.WALK_FN, "dmms_error_fn": abi.ERROR_FN,
    "dmms_task_id_fn": abi.TASK_ID_FN, "dmms_lock_fn": abi.LOCK_FN,
}


def _ctypes_of(return_type, parameters):
    """(restype, [argtypes]) for a C return type and parameter list."""
    def c_type(text):
        return C_TYPES[re.sub(r"\s*\*\s*", " *", text).strip()]
    arguments = []
    if parameters.strip() != "void":
        for parameter in parameters.split(","):
            declared = re.sub(r"\w+$", "", parameter.strip())   # drop the parameter's name
            arguments.append(c_type(declared))
    return c_type(return_type), arguments


def test_every_function_has_the_headers_prototype():
    declared = {}
    for statement in _declarations():
        match = re.fullmatch(r"([\w\s\*]+?)\s*\b(dmms_\w+)\s*\((.*)\)", statement)
        if match and not statement.startswith("typedef"):
            declared[match[2]] = _ctypes_of(match[1], match[3])
    assert len(declared) >= 30
    bound = {name: (restype, list(argtypes)) for name, (restype, argtypes) in abi.PROTOTYPES.items()}
    assert bound == declared


def test_every_callback_type_matches_its_typedef():
    callbacks = {"dmms_output_fn": abi.OUTPUT_FN, "dmms_walk_fn": abi.WALK_FN,
                 "dmms_error_fn": abi.ERROR_FN, "dmms_task_id_fn": abi.TASK_ID_FN,
                 "dmms_lock_fn": abi.LOCK_FN}
    found = {}
    for statement in _declarations():
        match = re.fullmatch(r"typedef ([\w\s\*]+?) \(\*(dmms_\w+)\)\((.*)\)", statement)
        if match:
            found[match[2]] = _ctypes_of(match[1], match[3])
    assert found.keys() == callbacks.keys()
    for name, callback in callbacks.items():
        assert (callback._restype_, list(callback._argtypes_)) == found[name], name


def test_every_constant_matches_the_header():
    defined = {name: int(value.rstrip("u"), 0) for name, value in
               re.findall(r"#define (DMMS_\w+)\s+(0x[0-9a-fA-F]+u?|\d+)", HEADER)}
    mirrored = {name: getattr(abi, name) for name in dir(abi) if name.startswith("DMMS_")}
    assert mirrored == {name: value for name, value in defined.items() if name != "DMMS_VERSION"}
    assert dmms.version() == defined["DMMS_VERSION"]


def test_every_status_has_its_name():
    for name in dir(abi):
        if name.startswith("DMMS_E_") or name == "DMMS_OK":
            assert dmms.status_name(getattr(abi, name)) == name
    assert dmms.status_name(1000) == "DMMS_E_UNKNOWN"


def test_library_is_found_from_the_environment_then_the_build_tree(monkeypatch, tmp_path):
    monkeypatch.setenv("DMMS_LIBRARY", str(tmp_path / "libdmms-elsewhere.so"))
    assert abi.find_library() == str(tmp_path / "libdmms-elsewhere.so")
    monkeypatch.delenv("DMMS_LIBRARY")
    assert abi.find_library() == str(REPO / "build" / "lib" / "libdmms.so")


def test_a_wrong_dmms_library_fails_loudly(tmp_path):
    """An explicit DMMS_LIBRARY is never replaced by another library."""
    result = subprocess.run(
        [sys.executable, "-c", "import dmms; dmms.Pool(4096)"], capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO / "python"), "DMMS_LIBRARY": str(tmp_path / "none.so")})
    assert result.returncode == 1
    assert "none.so" in result.stderr


def test_the_library_in_use_and_the_preload_beside_it():
    assert abi.library_path() == LIBRARY.resolve()
    assert abi.preload_path() == LIBRARY.resolve().parent / "libdmms_preload.so"
