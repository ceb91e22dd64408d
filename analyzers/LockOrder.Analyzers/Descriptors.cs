using System.Linq;
using Microsoft.CodeAnalysis;

namespace LockOrder;

/// <summary>
/// Titles, messages, categories and default severities of every rule. Rules create their diagnostics through the
/// typed builders of <see cref="Rules.Messages"/>, which put the arguments in these formats.
/// Help links point at docs/rules/LOCKnnn.md; a test checks that every one of those pages exists.
/// </summary>
internal static class Descriptors
{
    /// <summary>The repository's published location, from the one place it is set (LockOrderRepositoryUrl in
    /// Directory.Build.props, compiled into this assembly's metadata).</summary>
    public static readonly string RepositoryUrl = typeof(Descriptors).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "LockOrder.RepositoryUrl")?.Value ?? "";

    public static readonly string HelpLinkBase = RepositoryUrl + "/blob/main/docs/rules/";

    private const string Ordering = "LockOrder.Ordering";
    private const string Atomic = "LockOrder.AtomicContext";
    private const string Balance = "LockOrder.Balance";
    private const string Table = "LockOrder.Table";
    private const string Async = "LockOrder.Async";
    private const string Protection = "LockOrder.Protection";
    private const string Lifetime = "LockOrder.Lifetime";
    private const string Coverage = "LockOrder.Coverage";
    private const string Configuration = "LockOrder.Configuration";

    public static readonly DiagnosticDescriptor OutOfOrder = Create(
        RuleIds.OutOfOrder, Ordering, DiagnosticSeverity.Warning,
        "Lock acquired out of the declared order",
        "{0} is acquired while {1} is held; the table orders {2} first{3}. Release {4} before acquiring {2}, or take {2} first.",
        "Two locks held together must be taken in the order of lockorder.json: a lock higher in the list is taken first.");

    public static readonly DiagnosticDescriptor SleepInAtomic = Create(
        RuleIds.SleepInAtomic, Atomic, DiagnosticSeverity.Warning,
        "A call that may sleep while a spinlock is held",
        "{0} may sleep, but spinlock {1} is held{2}; move the call after {3} is released",
        "Nothing that may block or sleep may run while a spinlock-class lock is held: a sleeping lock, I/O, a wait, or any method the table lists as blocking.");

    public static readonly DiagnosticDescriptor SelfDeadlock = Create(
        RuleIds.SelfDeadlock, Ordering, DiagnosticSeverity.Warning,
        "A non-reentrant lock acquired while already held",
        "{0} is acquired while {0} is already held{1}; {2}. Release it first or restructure.",
        "Acquiring a non-reentrant lock class (a spinlock, a semaphore, a kernel-style mutex) while it is held deadlocks the thread against itself.");

    public static readonly DiagnosticDescriptor Unbalanced = Create(
        RuleIds.Unbalanced, Balance, DiagnosticSeverity.Warning,
        "Unbalanced locking",
        "{0}",
        "Every lock must be held on all paths or on none where paths meet, and at a method's exit; a release must match a held lock. Methods meant to return holding a lock are declared as primitives in lockorder.json.");

    public static readonly DiagnosticDescriptor NotInTable = Create(
        RuleIds.NotInTable, Table, DiagnosticSeverity.Info,
        "Lock not declared in lockorder.json",
        "{0} is acquired here but no row of lockorder.json binds it; add a row in its place in the order, with its symbol",
        "Every lock should have a row in the table, so that its order against the others is declared and checked.");

    public static readonly DiagnosticDescriptor Unprotected = Create(
        RuleIds.Unprotected, Protection, DiagnosticSeverity.Warning,
        "A member used without the lock that protects it",
        "'{0}' is {1} without {2}, which the table says protects it{3}; take {2} around the access",
        "The table's 'protects' column: a listed member is read or written only with its lock held. Constructors, the lock's 'init' functions and release callbacks are exempt, and so is a method every caller of which holds the lock.");

    public static readonly DiagnosticDescriptor AwaitUnderLock = Create(
        RuleIds.AwaitUnderLock, Async, DiagnosticSeverity.Warning,
        "'await' while a lock is held",
        "'await' while {0} is held; the continuation may run on another thread or never release it. Release the lock before awaiting, or use SemaphoreSlim.WaitAsync as an async lock.",
        "A thread-affine or synchronously taken lock must not be held across an await.");

    public static readonly DiagnosticDescriptor OrderCycle = Create(
        RuleIds.OrderCycle, Ordering, DiagnosticSeverity.Warning,
        "Lock-order cycle inferred from the code",
        "Lock-order cycle {0}: {1}. Unsafe interleaving: {2}. Take these locks in one order everywhere (and declare it in lockorder.json).",
        "The code takes the same locks in opposite orders on different paths (directly, through calls, release callbacks or lambdas); two threads doing so can deadlock. Found from the whole compilation, like lockdep but at build time and on every path. Locks the table orders are LOCK001's.",
        customTags: WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor WaitUnderSleepingLock = Create(
        RuleIds.WaitUnderSleepingLock, Atomic, DiagnosticSeverity.Warning,
        "A blocking wait while a sleeping lock is held",
        "{0} blocks while {1} is held{2}; if what it waits for needs {1}, this deadlocks. Release {1} first, or await instead of blocking.",
        "Waiting synchronously (Task.Result, Wait(), WaitOne, Thread.Sleep, ...) while holding a mutex-class lock is legal in the kernel but the source of many .NET deadlocks. Off by default; enable it in .editorconfig.",
        enabledByDefault: false);

    public static readonly DiagnosticDescriptor HeldWhileFreed = Create(
        RuleIds.HeldWhileFreed, Lifetime, DiagnosticSeverity.Warning,
        "A lock is held while the object that contains it may be freed",
        "{0} is held while the object that contains it ('{1}') may be freed{2}; a thread waiting for the lock would use freed memory. Release {0} before the object can be freed.",
        "Freeing an object (a reference put whose release may run, or a method of the table's 'frees' list) while a lock stored in that same object is held is a use-after-free: the unlock, and any waiter, touch freed memory.");

    public static readonly DiagnosticDescriptor NotAnalysed = Create(
        RuleIds.NotAnalysed, Coverage, DiagnosticSeverity.Hidden,
        "A body LockOrder did not analyse to the end",
        "{0} was not analysed: {1}; findings in it, and through calls to it, may be missing",
        "LockOrder bounds the work it does on one body; a body over a bound is not checked, and this says so rather than staying silent. Hidden by default: raise it in .editorconfig to see what was not checked.");

    public static readonly DiagnosticDescriptor TableUnreadable = Create(
        RuleIds.TableUnreadable, Table, DiagnosticSeverity.Warning,
        "lockorder.json cannot be read",
        "lockorder.json cannot be read: {0}; the declared-order rules are off until it is fixed",
        "The lock table must be valid JSON with a 'locks' array.");

    public static readonly DiagnosticDescriptor TableInvalidField = Create(
        RuleIds.TableInvalidField, Table, DiagnosticSeverity.Warning,
        "Invalid field in lockorder.json",
        "{0}",
        "Fields of lockorder.json must be known and of the right type; kinds are spinlock, mutex, rwsem or semaphore.");

    public static readonly DiagnosticDescriptor TableDuplicate = Create(
        RuleIds.TableDuplicate, Table, DiagnosticSeverity.Warning,
        "Duplicate entry in lockorder.json",
        "{0}",
        "A lock name appears once; a symbol is bound to one row only.");

    public static readonly DiagnosticDescriptor TableUnresolved = Create(
        RuleIds.TableUnresolved, Table, DiagnosticSeverity.Warning,
        "lockorder.json names something this compilation does not have",
        "{0}",
        "A symbol, primitive or blocking entry whose namespace exists in this compilation but which does not resolve. Entries whose namespace is absent belong to another project and are not reported.");

    public static readonly DiagnosticDescriptor TableVacuousOrder = Create(
        RuleIds.TableVacuousOrder, Table, DiagnosticSeverity.Info,
        "A sleeping lock is ordered below a spinlock",
        "{0} (row {1}) is a {2} listed below spinlock {3} (row {4}); it can never legally be taken while {3} is held, so this order edge is vacuous",
        "A mutex, rw-semaphore or semaphore below a spinlock-class lock can never be acquired while that spinlock is held (it would sleep in atomic context).");

    public static readonly DiagnosticDescriptor NoTable = Create(
        RuleIds.NoTable, Table, DiagnosticSeverity.Info,
        "No lockorder.json: the declared-order rules are off",
        "This project takes locks but has no lockorder.json, so the rules that need a declared order (LOCK001, LOCK005, LOCK006, LOCK010) are off; add a lockorder.json listing the project's locks in the order they are taken, next to the project or in a folder above it (or point the LockOrderTable property at one)",
        "LockOrder checks acquisitions against a declared lock hierarchy. Without one it still reports what the code alone shows (sleeping under a spinlock, self-deadlock, unbalanced locking, await under a lock, cycles), and says once per project that the rest is off.");

    public static readonly DiagnosticDescriptor InvalidOption = Create(
        RuleIds.InvalidOption, Configuration, DiagnosticSeverity.Warning,
        "A LockOrder option has a value it cannot use",
        "{0}: {1}",
        "LockOrder's options are read from .editorconfig or .globalconfig (see docs/options.md). A value it cannot use is reported where it applies and the default is kept.");

    private static DiagnosticDescriptor Create(string id, string category, DiagnosticSeverity severity, string title, string message, string description, bool enabledByDefault = true, params string[] customTags)
        => new(id, title, message, category, severity, enabledByDefault, description, HelpLinkBase + id + ".md", customTags);
}
