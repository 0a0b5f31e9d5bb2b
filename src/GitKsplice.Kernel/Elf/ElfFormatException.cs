namespace GitKsplice.Elf;

/// <summary>A file that cannot be read as ELF; the message names the file and what is wrong with it.</summary>
public sealed class ElfFormatException(string message) : FormatException(message);
