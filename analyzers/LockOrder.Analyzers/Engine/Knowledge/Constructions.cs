using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Knowledge;

/// <summary>
/// How the lock objects stored in fields and properties are created: the object creations assigned to a member
/// (its initializer, and assignments in its type), with their constant arguments. Read once per member, on demand,
/// from the member's own type's syntax. It decides what a semaphore is (one permit: a lock; several: a signal) and
/// whether a ReaderWriterLockSlim allows recursion.
/// </summary>
internal sealed class Constructions
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<ISymbol, IReadOnlyList<Creation>?> _byMember = new(SymbolEqualityComparer.Default);

    private readonly ConcurrentDictionary<ISymbol, IReadOnlyDictionary<IMethodSymbol, int>?> _fromParameter = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ISymbol?> _ownedBy = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<INamedTypeSymbol, ConcurrentDictionary<string, NameWrites>> _writes = new(SymbolEqualityComparer.Default);

    public Constructions(Compilation compilation) => _compilation = compilation;

    /// <summary>
    /// A reference fixed at construction: a readonly instance field, or a get-only auto-property, without an
    /// initializer, that the constructors of its type assign once each from one of their parameters (<c>Connector
    /// = connector;</c>, also with <c>!</c> or <c>?? throw ...</c>) and nothing else assigns. Per constructor, the
    /// ordinal of that parameter; null for any other member.
    /// </summary>
    public IReadOnlyDictionary<IMethodSymbol, int>? ConstructorParameterOf(ISymbol member, CancellationToken cancellationToken)
        => member is IFieldSymbol { IsStatic: false, IsReadOnly: true, Type.IsReferenceType: true }
                 or IPropertySymbol { IsStatic: false, SetMethod: null, Type.IsReferenceType: true, IsIndexer: false }
           && member.DeclaringSyntaxReferences.Length > 0
            ? _fromParameter.TryGetValue(member.OriginalDefinition, out var known) ? known : FromParameterOnce(member.OriginalDefinition, cancellationToken)
            : null;

    /// <summary>
    /// For a member of <paramref name="owner"/> that holds a helper object (a buffer, a reader): the helper's
    /// reference back to its owner, when every object stored in the member is created with <c>this</c> for the
    /// constructor parameter that fixes that reference (see <see cref="ConstructorParameterOf"/>). Then
    /// <c>this.Member.Back</c> is <c>this</c>. Null otherwise.
    /// </summary>
    public ISymbol? OwnedBy(ISymbol member, INamedTypeSymbol owner, CancellationToken cancellationToken)
        => member is IFieldSymbol or IPropertySymbol && member.DeclaringSyntaxReferences.Length > 0
            ? _ownedBy.TryGetValue(member.OriginalDefinition, out var known) ? known : BackOnce(member.OriginalDefinition, owner, cancellationToken)
            : null;

    private ISymbol? Back(ISymbol member, INamedTypeSymbol owner, CancellationToken cancellationToken)
    {
        // Every object stored in the member must be made with 'this' (see the end): a member none of whose stored
        // values so much as mentions 'this' is settled from syntax, before any of them is bound. Most members a
        // call is made on are of that kind (a list, a dictionary, a helper made from arguments), and binding their
        // values (an initializer's binding and nullable analysis) was a fifth of the engine's time.
        if (!StoredValues(member, cancellationToken).Any(MentionsThis))
        {
            return null;
        }

        // The helper's reference back is a member of source (ConstructorParameterOf says so only of those): a
        // member that holds framework objects (a List, a Dictionary) is settled by its creations, before its type's
        // stores are read or the framework type's members listed.
        if (Of(member, cancellationToken) is not { Count: > 0 } creations
            || creations[0].Type is not INamedTypeSymbol { DeclaringSyntaxReferences.Length: > 0 } helper
            || creations.Any(c => !SymbolEqualityComparer.Default.Equals(c.Type, helper))
            || !WrittenOnlyByItsOwnObject(member, cancellationToken))
        {
            return null;
        }

        foreach (var back in helper.GetMembers().Where(m => m is IFieldSymbol or IPropertySymbol))
        {
            var type = back is IFieldSymbol f ? f.Type : ((IPropertySymbol)back).Type;
            if (!IsOrDerivesFrom(owner, type) || ConstructorParameterOf(back, cancellationToken) is not { } parameters)
            {
                continue;
            }

            if (creations.All(c => c.Constructor is { } constructor && parameters.TryGetValue(constructor.OriginalDefinition, out int ordinal) && c.IsThis(ordinal)))
            {
                return back.OriginalDefinition;
            }
        }

        return null;
    }

    /// <summary>Only the object itself stores into the member: it is private (a property with a private setter,
    /// or none), and no code of its type stores into it on another object (<c>other.M = ...</c>) or passes it by
    /// reference (<c>ref M</c>, <c>out M</c>). Then every store is one <see cref="Of"/> sees.</summary>
    private bool WrittenOnlyByItsOwnObject(ISymbol member, CancellationToken cancellationToken)
    {
        bool privateWrite = member switch
        {
            IFieldSymbol field => field.DeclaredAccessibility == Accessibility.Private || field.IsReadOnly,
            IPropertySymbol property => property.SetMethod is null || property.SetMethod.DeclaredAccessibility == Accessibility.Private,
            _ => false,
        };
        if (!privateWrite)
        {
            return false;
        }

        if (WritesIn(member.ContainingType, member.Name, cancellationToken).Foreign is { } foreign)
        {
            var models = new ReadingModels.PerTree(_compilation);
            foreach (var written in foreign)
            {
                if (SymbolEqualityComparer.Default.Equals(models.Of(written.SyntaxTree).GetSymbolInfo(written, cancellationToken).Symbol?.OriginalDefinition, member))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The values that may be stored in the member, from syntax alone: its declarations' initializers and
    /// the right side of every assignment to its name in its type (<see cref="WritesIn"/>; a name is only a
    /// candidate, so this is a superset of what <see cref="Find"/> binds).</summary>
    private IEnumerable<ExpressionSyntax> StoredValues(ISymbol member, CancellationToken cancellationToken)
    {
        foreach (var reference in InCompilation(member))
        {
            switch (reference.GetSyntax(cancellationToken))
            {
                case VariableDeclaratorSyntax { Initializer.Value: { } value }:
                    yield return value;
                    break;
                case PropertyDeclarationSyntax { Initializer.Value: { } value }:
                    yield return value;
                    break;
            }
        }

        if (WritesIn(member.ContainingType, member.Name, cancellationToken).Assignments is { } assignments)
        {
            foreach (var assignment in assignments)
            {
                yield return assignment.Right;
            }
        }
    }

    /// <summary>The value has a <c>this</c> somewhere in it: only then can an argument of a creation in it be the
    /// object itself (<see cref="Creation.IsThis"/>: <c>this</c>, through casts, parentheses or <c>!</c>).</summary>
    private static bool MentionsThis(ExpressionSyntax value)
        => value.DescendantTokens().Any(t => t.IsKind(SyntaxKind.ThisKeyword));

    /// <summary>Whether <paramref name="type"/> is <paramref name="target"/>, derives from it, or implements it.</summary>
    internal static bool IsOrDerivesFrom(INamedTypeSymbol type, ITypeSymbol target)
    {
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, target.OriginalDefinition))
            {
                return true;
            }
        }

        return type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, target.OriginalDefinition));
    }

    internal static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    private IReadOnlyDictionary<IMethodSymbol, int>? FromParameter(ISymbol member, CancellationToken cancellationToken)
    {
        if (member.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer: not null } or PropertyDeclarationSyntax { Initializer: not null })
            || !WrittenOnlyByItsOwnObject(member, cancellationToken))
        {
            return null;
        }

        var parameters = new Dictionary<IMethodSymbol, int>(SymbolEqualityComparer.Default);
        if (WritesIn(member.ContainingType, member.Name, cancellationToken).Assignments is { } assignments)
        {
            var models = new ReadingModels.PerTree(_compilation);
            foreach (var assignment in assignments)
            {
                var semantic = models.Of(assignment.SyntaxTree);
                if (!SymbolEqualityComparer.Default.Equals(semantic.GetSymbolInfo(assignment.Left, cancellationToken).Symbol?.OriginalDefinition, member))
                {
                    continue;
                }

                var value = assignment.Right;
                while (value is PostfixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression } suppressed)
                {
                    value = suppressed.Operand;
                }

                if (value is BinaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.CoalesceExpression, Right: ThrowExpressionSyntax } coalesce)
                {
                    value = coalesce.Left;
                }

                if (assignment.Kind() != Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression
                    || assignment.FirstAncestorOrSelf<ConstructorDeclarationSyntax>() is not { } constructorSyntax
                    || assignment.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                    || semantic.GetDeclaredSymbol(constructorSyntax, cancellationToken) is not { IsStatic: false } constructor
                    || semantic.GetSymbolInfo(value, cancellationToken).Symbol is not IParameterSymbol parameter
                    || !SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, constructor)
                    || parameters.ContainsKey(constructor.OriginalDefinition))
                {
                    return null; // Assigned anything else, anywhere else, or twice.
                }

                parameters[constructor.OriginalDefinition] = parameter.Ordinal;
            }
        }

        return parameters.Count == 0 ? null : parameters;
    }

    /// <summary>The stores a type's code makes into one name, in the order of its declarations: assignments to the
    /// simple name or <c>this.Name</c> (<see cref="NameWrites.Assignments"/>), and stores on another object,
    /// <c>other.Name = ...</c> or <c>ref</c>/<c>out</c> arguments (<see cref="NameWrites.Foreign"/>). Read once per
    /// type and name, on demand: every member of a type asks about its own name. The places come from the tree's
    /// <see cref="Calls.NameIndex"/> (where the name is written as a simple name), so only the nodes around them are
    /// made: walking every node of the type, which a build had already let go of, was most of this question's cost.
    /// A name is only a candidate; the callers bind each candidate to the member.</summary>
    private NameWrites WritesIn(INamedTypeSymbol type, string name, CancellationToken cancellationToken)
    {
        var byName = _writes.GetOrAdd(type, _ => new ConcurrentDictionary<string, NameWrites>(System.StringComparer.Ordinal));
        if (byName.TryGetValue(name, out var known))
        {
            return known;
        }

        var writes = new NameWrites();
        foreach (var reference in InCompilation(type))
        {
            var declaration = reference.GetSyntax(cancellationToken);
            foreach (var simple in Calls.NameIndex.Of(declaration.SyntaxTree, cancellationToken).NamesOf(name, declaration.Span, cancellationToken))
            {
                writes.Add(simple);
            }
        }

        return byName.GetOrAdd(name, writes.Sorted());
    }

    /// <summary>What <see cref="WritesIn"/> finds for a type and a name (what tests compare with a walk).</summary>
    internal (IReadOnlyList<SyntaxNode> Assignments, IReadOnlyList<SyntaxNode> Foreign) StoresInto(INamedTypeSymbol type, string name)
    {
        var writes = WritesIn(type, name, CancellationToken.None);
        return ((IReadOnlyList<SyntaxNode>?)writes.Assignments ?? System.Array.Empty<SyntaxNode>(), (IReadOnlyList<SyntaxNode>?)writes.Foreign ?? System.Array.Empty<SyntaxNode>());
    }

    private sealed class NameWrites
    {
        /// <summary>Assignments whose left side is the name or <c>this.Name</c>; null when none.</summary>
        public List<AssignmentExpressionSyntax>? Assignments { get; private set; }

        /// <summary>Stores into the name on another object, and the name passed by reference; null when none.</summary>
        public List<ExpressionSyntax>? Foreign { get; private set; }

        /// <summary>What the name's place stores: the cases of a walk over every assignment and argument.</summary>
        public void Add(SimpleNameSyntax name)
        {
            ExpressionSyntax written = name;
            if (name.Parent is MemberAccessExpressionSyntax access && access.Name == name)
            {
                if (access.Expression is not ThisExpressionSyntax)
                {
                    if (access.Parent is AssignmentExpressionSyntax assignment && assignment.Left == access || IsByReference(access))
                    {
                        (Foreign ??= new()).Add(access);
                    }

                    return;
                }

                written = access; // this.Name, as the name itself.
            }
            else if (name is not IdentifierNameSyntax)
            {
                return;
            }

            if (written.Parent is AssignmentExpressionSyntax own && own.Left == written)
            {
                (Assignments ??= new()).Add(own);
            }
            else if (IsByReference(written))
            {
                (Foreign ??= new()).Add(written);
            }
        }

        private static bool IsByReference(ExpressionSyntax expression)
            => expression.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument && argument.Expression == expression;

        /// <summary>In the order of a walk over the nodes (by start, the outer node first).</summary>
        public NameWrites Sorted()
        {
            Assignments?.Sort(TreeOrder);
            Foreign?.Sort(TreeOrder);
            return this;
        }

        private static int TreeOrder(SyntaxNode a, SyntaxNode b)
            => a.SpanStart != b.SpanStart ? a.SpanStart.CompareTo(b.SpanStart) : b.Span.Length.CompareTo(a.Span.Length);
    }

    /// <summary>Every object creation assigned to the member in source, or null when it is assigned anything else
    /// (or has no source): then how it was made is unknown.</summary>
    public IReadOnlyList<Creation>? Of(ISymbol member, CancellationToken cancellationToken)
        => member is IFieldSymbol or IPropertySymbol && member.DeclaringSyntaxReferences.Length > 0
            ? _byMember.TryGetValue(member.OriginalDefinition, out var known) ? known : FindOnce(member.OriginalDefinition, cancellationToken)
            : null;

    /// <summary>The declarations of a symbol in this compilation: a type of another source project a workspace
    /// references as a compilation has syntax, but no semantic model here.</summary>
    private IEnumerable<SyntaxReference> InCompilation(ISymbol symbol)
        => symbol.DeclaringSyntaxReferences.Where(r => _compilation.ContainsSyntaxTree(r.SyntaxTree));

    private IReadOnlyList<Creation>? Find(ISymbol member, CancellationToken cancellationToken)
    {
        var values = new List<SyntaxNode>();
        var models = new ReadingModels.PerTree(_compilation);
        foreach (var value in StoredValues(member, cancellationToken))
        {
            // An assignment's value counts when its left side is the member itself, not another member of the name.
            if (value.Parent is not AssignmentExpressionSyntax assignment
                || SymbolEqualityComparer.Default.Equals(models.Of(assignment.SyntaxTree).GetSymbolInfo(assignment.Left, cancellationToken).Symbol?.OriginalDefinition, member))
            {
                values.Add(value);
            }
        }

        var creations = new List<Creation>();
        foreach (var written in values)
        {
            var value = written;
            while (value is PostfixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression } suppressed)
            {
                value = suppressed.Operand;
            }

            var operation = models.Of(value.SyntaxTree).GetOperation(value, cancellationToken);
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            if (operation is { ConstantValue: { HasValue: true, Value: null } } or IDefaultValueOperation)
            {
                continue; // 'null!' until initialised: not a lock object of another kind.
            }

            if (operation is not IObjectCreationOperation creation)
            {
                return null;
            }

            creations.Add(Creation.Of(creation));
        }

        return creations.Count == 0 ? null : creations;
    }

    // The memoised computations, apart from their lookups above: a lambda that captures parameters makes its
    // closure on entry to the method that holds it, so a lookup that finds the value would allocate one each time.
    private IReadOnlyDictionary<IMethodSymbol, int>? FromParameterOnce(ISymbol key, CancellationToken cancellationToken) => _fromParameter.GetOrAdd(key, m => FromParameter(m, cancellationToken));

    private ISymbol? BackOnce(ISymbol key, INamedTypeSymbol owner, CancellationToken cancellationToken) => _ownedBy.GetOrAdd(key, m => Back(m, owner, cancellationToken));

    private IReadOnlyList<Creation>? FindOnce(ISymbol key, CancellationToken cancellationToken) => _byMember.GetOrAdd(key, m => Find(m, cancellationToken));
}

/// <summary>An object creation assigned to a member, by what is read of it: its type, its constructor and, per
/// argument, its parameter, whether it was given explicitly, its constant int and whether it is <c>this</c>. Kept
/// instead of the operation, which would keep its semantic model (and every bound body of its tree) alive.</summary>
internal sealed class Creation
{
    private readonly ImmutableArray<(string? Name, int Ordinal, bool Explicit, int? Constant, bool IsThis)> _arguments;

    private Creation(ITypeSymbol? type, IMethodSymbol? constructor, ImmutableArray<(string?, int, bool, int?, bool)> arguments)
    {
        Type = type;
        Constructor = constructor;
        _arguments = arguments;
    }

    public ITypeSymbol? Type { get; }

    public IMethodSymbol? Constructor { get; }

    public static Creation Of(IObjectCreationOperation creation)
    {
        var arguments = ImmutableArray.CreateBuilder<(string?, int, bool, int?, bool)>(creation.Arguments.Length);
        foreach (var argument in creation.Arguments)
        {
            arguments.Add((argument.Parameter?.Name, argument.Parameter?.Ordinal ?? -1, argument.ArgumentKind != ArgumentKind.DefaultValue,
                argument.Value.ConstantValue is { HasValue: true, Value: int constant } ? constant : null,
                Constructions.Unwrap(argument.Value) is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }));
        }

        return new Creation(creation.Type, creation.Constructor, arguments.MoveToImmutable());
    }

    /// <summary>The constant int the first argument of a parameter (by name) was given explicitly, if any.</summary>
    public int? Argument(string parameter)
    {
        foreach (var argument in _arguments)
        {
            if (argument.Name == parameter)
            {
                return argument.Explicit ? argument.Constant : null;
            }
        }

        return null;
    }

    /// <summary>Some argument of the parameter (by name), explicit or its default, is a constant int that
    /// <paramref name="test"/> accepts.</summary>
    public bool AnyConstant(string parameter, System.Func<int, bool> test)
        => _arguments.Any(a => a.Name == parameter && a.Constant is { } value && test(value));

    /// <summary>The first argument of the parameter at <paramref name="ordinal"/> is <c>this</c>.</summary>
    public bool IsThis(int ordinal)
    {
        foreach (var argument in _arguments)
        {
            if (argument.Ordinal == ordinal)
            {
                return argument.IsThis;
            }
        }

        return false;
    }
}
