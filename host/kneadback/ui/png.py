"""A Qt picture saved as a PNG file the way every output file is written (`kneadback.outfile`):
Qt's own `save(path)` would write in place, leaving half a picture if killed, and replace links."""

from __future__ import annotations

from pyqtgraph.Qt import QtCore, QtGui

from kneadback.errors import InputError
from kneadback.outfile import OutPath, write_out


def save_png(picture: QtGui.QImage | QtGui.QPixmap, path: OutPath) -> None:
    png = QtCore.QByteArray()
    buffer = QtCore.QBuffer(png)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not picture.save(buffer, "PNG"):
        raise InputError(f"{path}: cannot encode the picture as a PNG")
    write_out(path, png.data())
