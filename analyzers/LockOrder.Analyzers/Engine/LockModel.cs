using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using LockOrder.Engine.Calls;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Knowledge;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Engine;

/// <summary>
/// Everything LockOrder knows about one compilation, shared by all rules through a weak per-compilation cache:
/// the table (read once), the knowledge resolved from it, the memoised facts of every body (each analysed once
/// whichever rule asks first), the call graph, the summaries and the callers index.
/// </summary>
internal sealed class LockModel
{
    private static readonly ConditionalWeakTable<Compilation, Lazy<LockModel>> Models = new();

    private readonly ConcurrentDictionary<IMethodSymbol, Lazy<MethodFacts>> _facts = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, BodyFacts> _bodies = new(SymbolEqualityComparer.Default);
    private readonly Lazy<ImmutableArray<TableProblem>> _bindingProblems;
    private readonly ConcurrentDictionary<SyntaxNode, int> _analyzedRoots = new();
    private readonly LockOperations _locks;
    private readonly object _callersGate = new();
    private CallersIndex? _callers;
    private int _bodiesAnalyzed;

    private LockModel(Compilation compilation, AdditionalText? tableFile, SourceText? tableText, LockOptions options, ImmutableArray<OptionProblem> optionProblems)
    {
        Compilation = compilation;
        TableFile = tableFile;
        TableText = tableText;
        Options = options;
        OptionProblems = optionProblems;
        MaxCallDepth = options.MaxCallDepth;
        Table = tableText is null ? LockTable.Empty : LockTableLoader.For(tableText);
        Knowledge = new LockKnowledge(compilation, Table, options);
        _locks = new LockOperations(Knowledge);
        _bindingProblems = new Lazy<ImmutableArray<TableProblem>>(() => TableBinder.Check(Table, compilation));
        var methodNames = new MethodNames(compilation);
        CallGraph = new CallGraph(compilation, Knowledge.Constructions, methodNames);
        Summaries = new Summaries(this, CallGraph);
        _filter = new Lazy<BodyFilter>(() => new BodyFilter(compilation, Table, options, methodNames), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private readonly Lazy<BodyFilter> _filter;

    /// <summary>Which bodies are worth binding, from their syntax (see <see cref="BodyFilter"/>).</summary>
    public BodyFilter Filter => _filter.Value;

    public Compilation Compilation { get; }
    public AdditionalText? TableFile { get; }
    public SourceText? TableText { get; }
    public LockTable Table { get; }

    /// <summary>The lock APIs, blocking calls, invokers and table bindings of this compilation, resolved once.</summary>
    public LockKnowledge Knowledge { get; }

    public CallGraph CallGraph { get; }

    /// <summary>Method summaries for the across-calls checks, built from the same facts.</summary>
    public Summaries Summaries { get; }

    /// <summary>How many calls below a method its summary follows (deeper acquisitions, sleeps and frees are not
    /// reported): findings are about what a call can be seen to do, not what a call graph can connect.</summary>
    public int MaxCallDepth { get; }

    /// <summary>The .editorconfig options (see <see cref="LockOptions"/>).</summary>
    public LockOptions Options { get; }

    /// <summary>Option values that could not be used (LOCK106).</summary>
    public ImmutableArray<OptionProblem> OptionProblems { get; }

    /// <summary>A readable table is present: the declared-order rules are on.</summary>
    public bool HasTable => Table.IsUsable;

    /// <summary>LOCK103 problems: entries that do not resolve in this compilation.</summary>
    public ImmutableArray<TableProblem> BindingProblems => _bindingProblems.Value;

    /// <summary>How many bodies the engine has analysed (a test hook: each body at most once).</summary>
    public int BodiesAnalyzed => Volatile.Read(ref _bodiesAnalyzed);

    /// <summary>How many times each body's syntax was analysed (a test hook: each exactly once).</summary>
    internal IReadOnlyDictionary<SyntaxNode, int> AnalyzedRoots => _analyzedRoots;

    /// <summary>Raised when a model is created (a test hook, to find the model the driver used).</summary>
    internal static event Action<LockModel>? Created;

    public static LockModel For(Compilation compilation, AnalyzerOptions options, CancellationToken cancellationToken)
        => Models.GetValue(compilation, c => new Lazy<LockModel>(() =>
        {
            var model = Uncached(c, options, cancellationToken);
            Created?.Invoke(model);
            return model;
        }, LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>A model of its own, not the one kept for the compilation (<see cref="For"/> keeps one made here); the
    /// benchmark times one per round on a compilation whose bodies are bound already.</summary>
    internal static LockModel Uncached(Compilation compilation, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        var file = TableFileOf(options);
        var (settings, problems) = LockOptions.Read(compilation, options.AnalyzerConfigOptionsProvider);
        return new LockModel(compilation, file, file?.GetText(cancellationToken), settings, problems);
    }

    /// <summary>MSBuild's <c>LockOrderTable</c> property, as the package's build props pass it to the compiler.</summary>
    public const string TablePropertyKey = "build_property.LockOrderTable";

    /// <summary>
    /// The table of this project: the additional file the <c>LockOrderTable</c> property names (the package sets it
    /// to the nearest lockorder.json above the project, or to what the user gives), else the first lockorder.json
    /// among the additional files by path (ordinal: the same whatever order the files come in). Any other lockorder.json is ignored, and LOCK100 says so in that file.
    /// </summary>
    private static AdditionalText? TableFileOf(AnalyzerOptions options)
    {
        var tables = options.AdditionalFiles.Where(f => IsTableFile(f.Path)).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        if (options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue(TablePropertyKey, out var chosen) && !string.IsNullOrWhiteSpace(chosen))
        {
            var named = tables.FirstOrDefault(f => SamePath(f.Path, chosen.Trim()));
            if (named is not null)
            {
                return named;
            }
        }

        return tables.FirstOrDefault();
    }

    public static bool SamePath(string a, string b)
        => string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string path) => path.Replace('\\', '/').TrimEnd('/');

    public static bool IsTableFile(string path)
    {
        int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return string.Equals(path.Substring(slash + 1), LockTableLoader.FileName, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The callers index (demand-driven: see <see cref="CallersIndex"/>).</summary>
    public CallersIndex Callers()
    {
        lock (_callersGate)
        {
            return _callers ??= new CallersIndex(this);
        }
    }

    /// <summary>
    /// Whether a body can give any rule something to say on its own: it takes or releases a lock, makes or passes a
    /// delegate (a lambda may run under another method's lock), or touches a member the table says a lock protects.
    /// A body that does none of these has no lock held anywhere in it and is not analysed for its own sake; its facts
    /// are computed when a summary needs them (it is called under a lock). A walk over the bound tree, no flow graph,
    /// once per body whichever rule asks first.
    /// </summary>
    public bool MayMatter(IOperation block)
        => _mayMatter.TryGetValue(block.Syntax, out var known) ? known : _mayMatter.GetOrAdd(block.Syntax, WalkMayMatter(block));

    private readonly ConcurrentDictionary<SyntaxNode, bool> _mayMatter = new();

    private readonly ConcurrentDictionary<BodyFacts, ImmutableArray<Queries.OrderEdge>> _orderEdges = new(ByReference<BodyFacts>.Instance);

    /// <summary>A body's order edges (<see cref="Queries.OrderEdges"/>), kept with its facts: several rules read
    /// them. A computation that is cancelled keeps nothing.</summary>
    public ImmutableArray<Queries.OrderEdge> OrderEdgesOf(BodyFacts body, Func<ImmutableArray<Queries.OrderEdge>> compute)
    {
        if (_orderEdges.TryGetValue(body, out var known))
        {
            return known;
        }

        return _orderEdges.GetOrAdd(body, compute());
    }

    /// <summary>Facts are records, equal by value: a map of them by body compares references (as the facts are
    /// kept, one object per body), not their contents.</summary>
    private sealed class ByReference<T> : IEqualityComparer<T>
        where T : class
    {
        public static readonly ByReference<T> Instance = new();

        public bool Equals(T? x, T? y) => ReferenceEquals(x, y);

        public int GetHashCode(T obj) => RuntimeHelpers.GetHashCode(obj);
    }

    [MethodImpl(Jit.Optimized)]
    private bool WalkMayMatter(IOperation block)
    {
        foreach (var op in block.DescendantsAndSelf())
        {
            switch (op)
            {
                case ILockOperation or IAnonymousFunctionOperation or IDelegateCreationOperation or IMethodReferenceOperation or ILocalFunctionOperation:
                    return true;
                case IInvocationOperation invocation when Knowledge.LockMember(invocation.TargetMethod, invocation.Instance?.Type) is not null:
                    return true;
                case IFieldReferenceOperation field when Knowledge.ProtectorOf(field.Field) is not null:
                    return true;
                case IPropertyReferenceOperation property when Knowledge.ProtectorOf(property.Property) is not null:
                    return true;
            }
        }

        return false;
    }

    /// <summary>The facts of every body in the compilation (analysing those not analysed yet): what a fix that
    /// must not contradict the whole compilation reads.</summary>
    public IEnumerable<BodyFacts> AllBodies(CancellationToken cancellationToken)
        => CallersIndex.SourceMethods(Compilation).SelectMany(m => GetFacts(m, null, cancellationToken).Bodies);

    /// <summary>What the rules analyse of a code block, in the order every reader takes: its syntax may matter
    /// (<see cref="BodyFilter"/>), then it is bound, then its bound tree may matter (<see cref="MayMatter"/>), then its
    /// facts. Empty when any step says no. The rules and tools (the lock graph) read bodies only through this.</summary>
    public ImmutableArray<BodyFacts> BodiesToAnalyze(IMethodSymbol method, SyntaxNode codeBlock, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (!HasBodySyntax(codeBlock) || !Filter.MayMatter(codeBlock, cancellationToken))
        {
            return ImmutableArray<BodyFacts>.Empty;
        }

        ReadingModels.Given(semanticModel);
        var root = BodyRoot(semanticModel.GetOperation(codeBlock, cancellationToken));
        return root is null || !MayMatter(root) ? ImmutableArray<BodyFacts>.Empty : GetFacts(method, root, cancellationToken).Bodies;
    }

    /// <summary>The facts of a method (or accessor, constructor, local function) and the lambdas inside it.</summary>
    public MethodFacts GetFacts(ISymbol owner, IOperation? root, CancellationToken cancellationToken)
    {
        if (owner is not IMethodSymbol method || Knowledge.IsPrimitiveImplementation(method))
        {
            return MethodFacts.None;
        }

        var key = MethodKey.Of(method);
        var lazy = _facts.GetOrAdd(key, _ => new Lazy<MethodFacts>(() => Compute(key, root, cancellationToken), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch (OperationCanceledException)
        {
            // Do not cache a cancelled computation: the next request computes again. The computation ran with the
            // token of the rule that asked first; a rule whose own request is not cancelled, waiting on it,
            // computes again rather than report another request's cancellation as its own (an AD0001).
            ((ICollection<KeyValuePair<IMethodSymbol, Lazy<MethodFacts>>>)_facts).Remove(new KeyValuePair<IMethodSymbol, Lazy<MethodFacts>>(key, lazy));
            cancellationToken.ThrowIfCancellationRequested();
            return GetFacts(owner, root, cancellationToken);
        }
    }

    private MethodFacts Compute(IMethodSymbol owner, IOperation? root, CancellationToken cancellationToken)
    {
        root ??= FindRoot(owner, cancellationToken);
        while (root?.Parent is not null)
        {
            root = root.Parent;
        }

        var cfg = root is null ? null : CreateGraph(root, cancellationToken);
        if (root is null || cfg is null)
        {
            return MethodFacts.None;
        }

        Interlocked.Increment(ref _bodiesAnalyzed);
        _analyzedRoots.AddOrUpdate(root.Syntax, 1, (_, n) => n + 1);
        MethodFacts facts;
        try
        {
            facts = new MethodFacts(BodyAnalysis.Analyze(cfg, owner, root, Knowledge, _locks, cancellationToken));
        }
        catch (InsufficientExecutionStackException)
        {
            // A body nested too deeply to walk (generated code) is not analysed: said (LOCK011), not a crash.
            return new MethodFacts(ImmutableArray.Create(BodyFacts.NotAnalysed(owner, root, "its expressions nest deeper than the analysis can walk")));
        }

        // The member's own body (the first) keeps what FreshObjects reads of the bound tree; no fact keeps the tree.
        facts = new MethodFacts(facts.Bodies.SetItem(0, facts.Bodies[0] with { Stores = BodyStores.Of(root, cancellationToken) }));

        foreach (var body in facts.Bodies)
        {
            _bodies.TryAdd(MethodKey.Of(body.Owner), body);
        }

        return facts;
    }

    /// <summary>The facts of one body by its symbol: a method, accessor, constructor, lambda or local function.
    /// Null for methods without source, abstract methods and declared primitives.</summary>
    public BodyFacts? BodyOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var key = MethodKey.Of(method);
        if (_bodies.TryGetValue(key, out var body))
        {
            return body;
        }

        // Lambdas and local functions are analysed with the member that contains them.
        ISymbol container = method;
        while (container is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction } nested)
        {
            container = nested.ContainingSymbol;
        }

        if (container is IMethodSymbol member)
        {
            member = MethodKey.Of(member);
            if (member.IsAbstract || member.DeclaringSyntaxReferences.Length == 0)
            {
                return null;
            }

            GetFacts(member, null, cancellationToken);
        }

        return _bodies.TryGetValue(key, out body) ? body : null;
    }

    private IOperation? FindRoot(ISymbol owner, CancellationToken cancellationToken)
    {
        // A method of another source project (a workspace's compilation references it as a compilation, not as
        // metadata) has syntax, but not in this compilation: like a method from metadata, it has no body here.
        var reference = owner.DeclaringSyntaxReferences.FirstOrDefault(r => Compilation.ContainsSyntaxTree(r.SyntaxTree));
        if (reference is null)
        {
            return null;
        }

        var syntax = reference.GetSyntax(cancellationToken);
        var op = ReadingModels.For(Compilation, syntax.SyntaxTree).GetOperation(syntax, cancellationToken);
        while (op?.Parent is not null)
        {
            op = op.Parent;
        }

        return op;
    }

    /// <summary>The body root of a member's bound code block (a method body, or the block of an expression-bodied
    /// member); null for anything else (a field initializer, a parameter's default value).</summary>
    public static IOperation? BodyRoot(IOperation? operation)
    {
        while (operation?.Parent is not null)
        {
            operation = operation.Parent;
        }

        return operation is IMethodBodyBaseOperation or IBlockOperation ? operation : null;
    }

    /// <summary>A code block that declares a body: a method, constructor, operator or accessor with a block or an
    /// expression body, an expression-bodied property, or top-level statements.</summary>
    public static bool HasBodySyntax(SyntaxNode codeBlock) => codeBlock switch
    {
        BaseMethodDeclarationSyntax m => m.Body is not null || m.ExpressionBody is not null,
        AccessorDeclarationSyntax a => a.Body is not null || a.ExpressionBody is not null,
        ArrowExpressionClauseSyntax or CompilationUnitSyntax => true,
        _ => false,
    };

    /// <summary>Roots an operation block and builds its graph; null for blocks that have none.</summary>
    public static ControlFlowGraph? CreateGraph(IOperation root, CancellationToken cancellationToken)
    {
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        return root switch
        {
            IMethodBodyOperation m => ControlFlowGraph.Create(m, cancellationToken),
            IConstructorBodyOperation c => ControlFlowGraph.Create(c, cancellationToken),
            IBlockOperation b => ControlFlowGraph.Create(b, cancellationToken),
            _ => null,
        };
    }
}
