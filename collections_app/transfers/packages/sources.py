"""Where packages are read from: a ``.zip``, an unzipped package folder, or a folder of them.

A source lists the package's files by their path inside the package folder and opens them as
binary streams, so that a zip is never unpacked to disk and no file is held whole in memory.
"""

import os
import zipfile
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _

SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


class PackageInvalid(Exception):
    """A package refused as a whole; names the package, the file inside it and what is wrong."""

    def __init__(self, package, file, message):
        self.package, self.file, self.message = package, file, message
        super().__init__(
            _("Gói “%(package)s”, tệp “%(file)s”: %(message)s")
            % {"package": package, "file": file or "-", "message": message}
        )


def find_sources(path):
    """The package sources under ``path``, in name order; PackageInvalid when there are none."""
    path = Path(path)
    if path.is_file():
        return [ZipSource(path)]
    if not path.is_dir():
        raise PackageInvalid(path.name, "", _("không tìm thấy tệp hoặc thư mục này."))
    if (path / "METS.xml").is_file() or (path / "representations").is_dir() or (path / "metadata").is_dir():
        return [FolderSource(path)]  # a package folder (one missing METS.xml is refused by name)
    sources = []
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") or child.name.lower() in SYSTEM_FILES:
            continue
        if child.is_file() and child.suffix.lower() == ".zip":
            sources.append(ZipSource(child))
        elif child.is_dir() and (child / "METS.xml").is_file():
            sources.append(FolderSource(child))
        else:
            raise PackageInvalid(
                child.name,
                "",
                _(
                    "không phải gói tin: thư mục gói phải chứa METS.xml, tệp gói phải là .zip. Bỏ nó ra khỏi "
                    "thư mục nhập hoặc sửa lại cấu trúc."
                ),
            )
    if not sources:
        raise PackageInvalid(
            path.name, "", _("thư mục không chứa gói tin nào (.zip hoặc thư mục có METS.xml).")
        )
    return sources


def safe_relative(name):
    """A package-relative path, or None when it leaves the package (absolute, ``..``)."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts:
        return None
    return posix.as_posix()


class FolderSource:
    def __init__(self, path):
        self.path = Path(path)
        self.label = self.path.name
        self.root = self.path.name
        self.is_zip = False
        self.files, self.dirs = {}, set()
        for folder, subfolders, names in os.walk(self.path):
            subfolders.sort()
            relative_folder = Path(folder).relative_to(self.path).as_posix()
            if relative_folder != ".":
                self.dirs.add(relative_folder)
            for name in names:
                if name.startswith(".") or name.lower() in SYSTEM_FILES:
                    continue
                relative = name if relative_folder == "." else f"{relative_folder}/{name}"
                self.files[relative] = (Path(folder) / name).stat().st_size

    def open(self, name):
        return open(self.path / name, "rb")

    def size(self, name):
        return self.files[name]

    @property
    def total_size(self):
        return sum(self.files.values())

    def close(self):
        pass


class ZipSource:
    def __init__(self, path):
        self.path = Path(path)
        self.label = self.path.name
        self.is_zip = True
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise PackageInvalid(
                self.label, "", _("không phải tệp ZIP đọc được (%(error)s).") % {"error": error}
            ) from None
        self.files, self.dirs, self.members = {}, set(), {}
        roots = set()
        for info in self.zip.infolist():
            relative = safe_relative(info.filename)
            if relative is None:
                raise PackageInvalid(
                    self.label, info.filename, _("đường dẫn nằm ngoài thư mục gói; gói bị từ chối.")
                )
            top, _sep, inside = relative.partition("/")
            roots.add(top)
            if not inside:
                if not info.is_dir():
                    raise PackageInvalid(self.label, relative, self._structure_message())
                continue
            if info.is_dir():
                self.dirs.add(inside.rstrip("/"))
                continue
            self.files[inside] = info.file_size
            self.members[inside] = info
            self.dirs.update(str(parent) for parent in PurePosixPath(inside).parents if str(parent) != ".")
        if len(roots) != 1:
            raise PackageInvalid(self.label, ", ".join(sorted(roots)[:3]), self._structure_message())
        self.root = roots.pop()

    def _structure_message(self):
        return _(
            "cấu trúc sai: mọi tệp trong tệp ZIP phải nằm trong đúng một thư mục gói, đặt tên theo OBJID "
            "(ví dụ uuid-562937C1-8ABC-59BC-A008-7B3526FE4136/METS.xml)."
        )

    def open(self, name):
        if self.zip is None:  # closed between validation and import, to keep few files open
            self.zip = zipfile.ZipFile(self.path)
        return self.zip.open(self.members[name])

    def size(self, name):
        return self.files[name]

    @property
    def total_size(self):
        return self.path.stat().st_size

    def close(self):
        if self.zip is not None:
            self.zip.close()
            self.zip = None
