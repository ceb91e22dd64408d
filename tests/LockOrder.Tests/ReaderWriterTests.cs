using System.Threading.Tasks;
using Xunit;
using Balance = LockOrder.Tests.Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>;
using Self = LockOrder.Tests.Verify<LockOrder.Rules.SelfDeadlockAnalyzer>;

namespace LockOrder.Tests;

/// <summary>ReaderWriterLockSlim's read, upgradeable and write modes are modes of one lock, with the framework's
/// rules: upgradeable to write (or read) is the documented way to upgrade; read to write or upgradeable throws
/// LockRecursionException whatever the policy; any other re-entry needs SupportsRecursion; an Exit must match the
/// mode entered.</summary>
public class ReaderWriterTests
{
    private const string Header = """
        using System.Threading;
        class C
        {
            private readonly ReaderWriterLockSlim _rw = new ReaderWriterLockSlim();
            private readonly ReaderWriterLockSlim _recursive = new ReaderWriterLockSlim(LockRecursionPolicy.SupportsRecursion);
            private int _value;
        """;

    private const string Upgrade = """
            void Update(int v)
            {
                _rw.EnterUpgradeableReadLock();
                try
                {
                    if (_value != v)
                    {
                        _rw.EnterWriteLock();
                        try { _value = v; }
                        finally { _rw.ExitWriteLock(); }
                    }
                }
                finally { _rw.ExitUpgradeableReadLock(); }
            }
        """;

    [Fact]
    public Task Clean_TheDocumentedUpgrade_NoSelfDeadlock()
        => Self.Source(Header + Upgrade + "}\n");

    [Fact]
    public Task Clean_TheDocumentedUpgrade_Balanced()
        => Balance.Source(Header + Upgrade + "}\n");

    [Fact]
    public Task Flagged_ReadThenWrite_ThrowsLockRecursionException()
        => Self.Source(Header + """
                void M()
                {
                    _rw.EnterReadLock();
                    try
                    {
                        {|#0:_rw.EnterWriteLock()|};
                        try { _value++; } finally { _rw.ExitWriteLock(); }
                    }
                    finally { _rw.ExitReadLock(); }
                }
            }
            """,
            Self.Diagnostic("LOCK003").WithLocation(0).WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations)
                .WithMessage("'C._rw' is acquired while 'C._rw' is already held; a thread in read mode cannot enter write mode: ReaderWriterLockSlim throws LockRecursionException whatever its recursion policy (enter upgradeable mode instead of read mode to upgrade later). Release it first or restructure."));

    [Fact]
    public Task Balanced_ReadThenWrite_NoSpuriousLock004()
        => Balance.Source(Header + """
                void M()
                {
                    _rw.EnterReadLock();
                    try
                    {
                        _rw.EnterWriteLock();
                        try { _value++; } finally { _rw.ExitWriteLock(); }
                    }
                    finally { _rw.ExitReadLock(); }
                }
            }
            """);

    [Fact]
    public Task RecursionPolicy_FromTheConstructor()
        => Self.Source(Header + """
                void Recursive() { _recursive.EnterReadLock(); _recursive.EnterReadLock(); _recursive.ExitReadLock(); _recursive.ExitReadLock(); }
                void NotRecursive() { _rw.EnterReadLock(); {|LOCK003:_rw.EnterReadLock()|}; _rw.ExitReadLock(); _rw.ExitReadLock(); }
                void WriteThenRead() { _recursive.EnterWriteLock(); _recursive.EnterReadLock(); _recursive.ExitReadLock(); _recursive.ExitWriteLock(); }
                void RecursiveStillCannotUpgradeARead() { _recursive.EnterReadLock(); {|LOCK003:_recursive.EnterWriteLock()|}; _recursive.ExitWriteLock(); _recursive.ExitReadLock(); }
            }
            """);

    [Fact]
    public Task Flagged_ExitInAnotherModeThanEntered()
        => Balance.Source(Header + """
                void M()
                {
                    {|LOCK004:_rw.EnterWriteLock()|};
                    {|LOCK004:_rw.ExitReadLock()|};
                }
            }
            """);
}
