using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Model;

/// <summary>
/// Names an object by how the code reaches it, as roslyn-analyzers' AnalysisEntity does: a root (<c>this</c>, a
/// parameter, a local, a static member) and a chain of fields and properties. Two paths are equal exactly when
/// they name the same object at that point of one body. Records: value equality, nothing hand-written.
/// </summary>
internal abstract record AccessPath
{
    private AccessPath()
    {
    }

    /// <summary>The variable this path starts from (parameter or local), if any.</summary>
    public abstract ISymbol? Variable { get; }

    /// <summary>How messages name the object: <c>this.Child</c>, <c>cfid</c>, <c>Registry.Gate</c>.</summary>
    public abstract override string ToString();

    /// <summary>The member of <c>this</c> the path goes through first (<c>a</c> for <c>this.a.b.c</c>), or null for a
    /// path that does not start with a member of <c>this</c>. The object the path names is only reached when that
    /// member is not null.</summary>
    public ISymbol? FirstMemberOfThis => this switch
    {
        Member { Instance: This } member => member.Symbol,
        Member member => member.Instance.FirstMemberOfThis,
        _ => null,
    };

    /// <summary>The path with its start <paramref name="from"/> (a variable, or a path it begins with) replaced by
    /// <paramref name="to"/>: <c>prev.Gate</c> with <c>prev</c> for <c>cur</c> is <c>cur.Gate</c>.</summary>
    public AccessPath Replace(AccessPath from, AccessPath to)
        => Equals(from) ? to : this is Member member ? new Member(member.Instance.Replace(from, to), member.Symbol) : this;

    /// <summary>The path with <paramref name="member"/> appended.</summary>
    public AccessPath Dot(ISymbol member) => new Member(this, member);

    /// <summary><c>this</c>.</summary>
    public sealed record This : AccessPath
    {
        public static readonly This Instance = new();

        public override ISymbol? Variable => null;

        public override string ToString() => "this";
    }

    /// <summary>A parameter of the body.</summary>
    public sealed record Parameter(IParameterSymbol Symbol) : AccessPath
    {
        public override ISymbol? Variable => Symbol;

        public override string ToString() => Symbol.Name;
    }

    /// <summary>A local of the body.</summary>
    public sealed record Local(ILocalSymbol Symbol) : AccessPath
    {
        public override ISymbol? Variable => Symbol;

        public override string ToString() => Symbol.Name;
    }

    /// <summary>A static field or property.</summary>
    public sealed record Static(ISymbol Symbol) : AccessPath
    {
        public override ISymbol? Variable => null;

        public override string ToString() => Symbol.ContainingType.Name + "." + Symbol.Name;
    }

    /// <summary>A field or property of another path's object.</summary>
    public sealed record Member(AccessPath Instance, ISymbol Symbol) : AccessPath
    {
        public override ISymbol? Variable => Instance.Variable;

        public override string ToString() => Instance + "." + Symbol.Name;
    }

    /// <summary>The instance of a static lock (a static member, or <c>typeof(T)</c>): one per lock class, and never
    /// an object the code can free.</summary>
    public sealed record Global : AccessPath
    {
        public static readonly Global Instance = new();

        public override ISymbol? Variable => null;

        public override string ToString() => "static";
    }

    /// <summary>What a path named before its variable was assigned again: the object is still the one it was, but
    /// no longer the one the variable holds.</summary>
    public sealed record Stale(AccessPath Was) : AccessPath
    {
        public override ISymbol? Variable => null;

        public override string ToString() => "stale " + Was;
    }
}
