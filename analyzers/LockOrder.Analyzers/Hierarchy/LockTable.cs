using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Hierarchy;

/// <summary>The kind of a lock class. Spinlock-class locks form an atomic context; the others may sleep.</summary>
internal enum LockKind
{
    Spinlock,
    Mutex,
    RwSem,
    Semaphore,
}

internal static class LockKindNames
{
    public static bool TryParse(string text, out LockKind kind)
    {
        switch (text)
        {
            case "spinlock": kind = LockKind.Spinlock; return true;
            case "mutex": kind = LockKind.Mutex; return true;
            case "rwsem": kind = LockKind.RwSem; return true;
            case "semaphore": kind = LockKind.Semaphore; return true;
            default: kind = LockKind.Mutex; return false;
        }
    }

    public static string Name(this LockKind kind) => kind switch
    {
        LockKind.Spinlock => "spinlock",
        LockKind.Mutex => "mutex",
        LockKind.RwSem => "rwsem",
        _ => "semaphore",
    };

    public static bool MaySleep(this LockKind kind) => kind != LockKind.Spinlock;
}

/// <summary>A string in lockorder.json together with where it stands, for diagnostics.</summary>
internal readonly struct Located
{
    public Located(string value, TextSpan span)
    {
        Value = value;
        Span = span;
    }

    public string Value { get; }
    public TextSpan Span { get; }
}

/// <summary>A row's "header" object: the C header's own protects and init columns, verbatim.</summary>
internal sealed class HeaderText
{
    public HeaderText(string? protects, string? init)
    {
        Protects = protects;
        Init = init;
    }

    public string? Protects { get; }
    public string? Init { get; }
}

/// <summary>One row of the table.</summary>
internal sealed class LockDecl
{
    public LockDecl(string name, int row, LockKind kind, TextSpan nameSpan)
    {
        Name = name;
        Row = row;
        Kind = kind;
        NameSpan = nameSpan;
    }

    public string Name { get; }

    /// <summary>1-based position in the table: a lower row is taken first.</summary>
    public int Row { get; }
    public LockKind Kind { get; }
    public TextSpan NameSpan { get; }
    public ImmutableArray<Located> Symbols { get; init; } = ImmutableArray<Located>.Empty;
    public ImmutableArray<Located> Protects { get; init; } = ImmutableArray<Located>.Empty;
    public ImmutableArray<Located> Init { get; init; } = ImmutableArray<Located>.Empty;
    public string? Note { get; init; }
    public bool Nestable { get; init; }

    /// <summary>The row's columns in the C header it was imported from (text, not symbols), if the table has them.</summary>
    public HeaderText? Header { get; init; }

    /// <summary>Where the row's object stands in lockorder.json (for fixes that edit the table).</summary>
    public TextSpan RowSpan { get; init; }

    /// <summary>How diagnostics name the lock: its table name and row.</summary>
    public string Display => $"'{Name}' (row {Row})";
}

/// <summary>A custom lock type declared in the table's 'primitives'.</summary>
internal sealed class PrimitiveDecl
{
    public PrimitiveDecl(Located type, LockKind kind)
    {
        Type = type;
        Kind = kind;
    }

    public Located Type { get; }
    public LockKind Kind { get; }
    public ImmutableArray<Located> Acquire { get; init; } = ImmutableArray<Located>.Empty;
    public ImmutableArray<Located> Release { get; init; } = ImmutableArray<Located>.Empty;
    public ImmutableArray<Located> TryAcquire { get; init; } = ImmutableArray<Located>.Empty;
    public bool Reentrant { get; init; }
}

/// <summary>A problem in lockorder.json, located in the file.</summary>
internal sealed class TableProblem
{
    public TableProblem(DiagnosticDescriptor rule, TextSpan span, params object[] args)
    {
        Rule = rule;
        Span = span;
        Args = args;
    }

    public DiagnosticDescriptor Rule { get; }
    public TextSpan Span { get; }
    public object[] Args { get; }
}

/// <summary>The declared lock hierarchy, as read from lockorder.json (before binding to a compilation).</summary>
internal sealed class LockTable
{
    public LockTable(
        ImmutableArray<LockDecl> locks,
        ImmutableArray<PrimitiveDecl> primitives,
        ImmutableArray<Located> blocking,
        ImmutableArray<TableProblem> problems,
        bool usable,
        ImmutableArray<Located> invokes = default,
        ImmutableArray<Located> frees = default)
    {
        Frees = frees.IsDefault ? ImmutableArray<Located>.Empty : frees;
        FreeNames = new HashSet<string>(Frees.Select(i => i.Value), System.StringComparer.Ordinal);
        Invokes = invokes.IsDefault ? ImmutableArray<Located>.Empty : invokes;
        InvokerNames = new HashSet<string>(Invokes.Select(i => i.Value), System.StringComparer.Ordinal);
        Locks = locks;
        Primitives = primitives;
        Blocking = blocking;
        Problems = problems;
        IsUsable = usable;

        var bySymbol = new Dictionary<string, LockDecl>(System.StringComparer.Ordinal);
        foreach (var decl in locks)
        {
            foreach (var symbol in decl.Symbols)
            {
                if (!bySymbol.ContainsKey(symbol.Value))
                {
                    bySymbol.Add(symbol.Value, decl);
                }
            }
        }

        BySymbol = bySymbol;
        var protectedBy = new Dictionary<string, LockDecl>(System.StringComparer.Ordinal);
        foreach (var decl in locks)
        {
            foreach (var member in decl.Protects)
            {
                if (!protectedBy.ContainsKey(member.Value))
                {
                    protectedBy.Add(member.Value, decl);
                }
            }
        }

        ProtectedBy = protectedBy;
        var blockingSet = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var b in blocking)
        {
            blockingSet.Add(b.Value);
        }

        BlockingNames = blockingSet;
        var primitivesByType = new Dictionary<string, PrimitiveDecl>(System.StringComparer.Ordinal);
        foreach (var p in primitives)
        {
            if (!primitivesByType.ContainsKey(p.Type.Value))
            {
                primitivesByType.Add(p.Type.Value, p);
            }
        }

        PrimitivesByType = primitivesByType;
    }

    public static LockTable Empty { get; } = new(
        ImmutableArray<LockDecl>.Empty, ImmutableArray<PrimitiveDecl>.Empty, ImmutableArray<Located>.Empty,
        ImmutableArray<TableProblem>.Empty, usable: false);

    public ImmutableArray<LockDecl> Locks { get; }
    public ImmutableArray<PrimitiveDecl> Primitives { get; }
    public ImmutableArray<Located> Blocking { get; }

    /// <summary>Methods without source that run their delegate arguments before returning (e.g. a kref put
    /// that runs its release), in addition to the built-in ones.</summary>
    public ImmutableArray<Located> Invokes { get; }
    public IReadOnlyCollection<string> InvokerNames { get; }

    /// <summary>Methods that may free an object: a static method its first argument, an instance method its
    /// receiver, or, when the receiver is a member of another object (a reference count embedded in its
    /// owner, as in <c>cfid.Refcount.Put(release)</c>), that owner.</summary>
    public ImmutableArray<Located> Frees { get; }
    public IReadOnlyCollection<string> FreeNames { get; }

    /// <summary>Problems found in the file itself (LOCK100, LOCK101, LOCK102, LOCK104).</summary>
    public ImmutableArray<TableProblem> Problems { get; }

    /// <summary>False when the file could not be read at all: the declared-order rules stay silent.</summary>
    public bool IsUsable { get; }

    public IReadOnlyDictionary<string, LockDecl> BySymbol { get; }

    /// <summary>Member (fully qualified) to the row whose lock protects it.</summary>
    public IReadOnlyDictionary<string, LockDecl> ProtectedBy { get; }
    public IReadOnlyCollection<string> BlockingNames { get; }
    public IReadOnlyDictionary<string, PrimitiveDecl> PrimitivesByType { get; }
}
