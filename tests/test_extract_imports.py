"""One direction of travel: extraction is handed OCR's box reader and never reaches down into
OCR or OpenCV itself. Every module of ``pipeline.extract`` is parsed and its imports listed,
those inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pipeline.extract

EXTRACT = Path(pipeline.extract.__file__).parent
FORBIDDEN = ("pipeline.ocr", "cv2")


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Every module an ``import`` or ``from … import`` names, relative ones resolved."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            found.update(a.value for a in node.args[:1] if isinstance(a, ast.Constant))
    return found


def package_of(path: Path) -> str:
    return ".".join(("pipeline", "extract", *path.relative_to(EXTRACT).parent.parts))


def reaches(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def test_no_module_of_extraction_imports_ocr_or_opencv() -> None:
    files = sorted(EXTRACT.rglob("*.py"))
    assert len(files) > 20  # the package itself, not an empty folder
    offenders = {
        str(path.relative_to(EXTRACT)): sorted(m for m in imported if reaches(m))
        for path in files
        if (imported := imported_modules(ast.parse(path.read_text()), package_of(path)))
        and any(reaches(m) for m in imported)
    }
    assert offenders == {}


def test_the_check_sees_every_way_of_importing() -> None:
    source = (
        "import cv2\n"
        "from pipeline import ocr\n"
        "def f():\n    from pipeline.ocr.boxes import box_reader\n"
        "from ..ocr import engine\n"
        "__import__('cv2')\n"
    )
    imported = imported_modules(ast.parse(source), "pipeline.extract")
    assert {"cv2", "pipeline.ocr", "pipeline.ocr.boxes", "pipeline.ocr.engine"} <= imported
    assert sum(reaches(m) for m in imported) >= 4
    assert not reaches("pipeline.ocrx") and not reaches("pipeline.extract.text")
