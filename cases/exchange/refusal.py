"""A file refused as a whole, before or while it is read."""


class FileRefused(Exception):
    """The file as a whole cannot be read (not CSV/XLSX, not UTF-8, no header, too large when unpacked); `line`
    is where reading stopped, when it was in the middle."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line
