using System;

namespace SampleCache.Kernel;

/// <summary>The error numbers the sample uses; functions return them negated, kernel style.</summary>
public static class Errno
{
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENOTEMPTY = 39;
    public const int EREMCHG = 78;
    public const int EOPNOTSUPP = 95;
    public const int ECONNABORTED = 103;
    public const int ENOTCONN = 107;
    public const int EHOSTDOWN = 112;

    /// <summary>Errors after which an SMB request may be sent again (flagged as a replay).</summary>
    public static bool IsReplayable(int rc) =>
        rc == -EAGAIN || rc == -ECONNABORTED || rc == -ENOTCONN || rc == -EHOSTDOWN;
}

/// <summary>A kernel-style failure carried as an exception (for example a failed path walk).</summary>
public sealed class KernelException : Exception
{
    public KernelException(int rc, string message)
        : base(message)
    {
        Rc = rc;
    }

    public KernelException()
        : this(-Errno.EIO, "kernel error")
    {
    }

    public KernelException(string message)
        : this(-Errno.EIO, message)
    {
    }

    public KernelException(string message, Exception inner)
        : base(message, inner)
    {
        Rc = -Errno.EIO;
    }

    /// <summary>The negative error number.</summary>
    public int Rc { get; }
}
