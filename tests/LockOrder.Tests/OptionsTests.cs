using System.Threading.Tasks;
using Xunit;
using Cycle = LockOrder.Tests.Verify<LockOrder.Rules.LockCycleAnalyzer>;
using NoTable = LockOrder.Tests.Verify<LockOrder.Rules.MissingTableAnalyzer>;
using Option = LockOrder.Tests.Verify<LockOrder.Rules.OptionsAnalyzer>;
using Sleep = LockOrder.Tests.Verify<LockOrder.Rules.SleepInAtomicAnalyzer>;

namespace LockOrder.Tests;

/// <summary>The engine's options, read from .editorconfig or .globalconfig (docs/options.md), and LOCK106 for values
/// it cannot use.</summary>
public class OptionsTests
{
    /// <summary>A sleep two calls below a call made under a spinlock.</summary>
    private const string TwoDeep = """
        using System.Threading;
        class C
        {
            private SpinLock _spin = new SpinLock(false);
            void M() { bool t = false; _spin.Enter(ref t); try { CALL; } finally { if (t) _spin.Exit(); } }
            void A() => B();
            void B() => Thread.Sleep(1);
        }
        """;

    private static string Deep(bool flagged) => TwoDeep.Replace("CALL", flagged ? "{|LOCK002:A()|}" : "A()", System.StringComparison.Ordinal);

    [Fact]
    public Task CallDepth_DefaultFollowsTheChain()
        => Sleep.Source(Deep(flagged: true));

    [Fact]
    public Task CallDepth_One_StopsBelowTheFirstCall()
        => Sleep.Source(Deep(flagged: false)).WithEditorConfig("lockorder.max_call_depth = 1");

    [Fact]
    public Task CallDepth_FromAGlobalConfig()
        => Sleep.Source(Deep(flagged: false)).WithConfigFile("/.globalconfig", "is_global = true\nlockorder.max_call_depth = 1\n");

    [Theory]
    [InlineData("0")]
    [InlineData("deep")]
    [InlineData("17")]
    public Task CallDepth_AValueItCannotUse_IsLock106AtTheFile_AndTheDefaultIsKept(string value)
        => Option.Source("class C { }")
            .WithEditorConfig("lockorder.max_call_depth = " + value)
            .Expect(Option.Diagnostic("LOCK106").WithSpan(1, 1, 1, 6).WithArguments(
                "lockorder.max_call_depth", $"'{value}' is not a call depth: lockorder.max_call_depth takes a whole number from 1 to 16; using 6"));

    [Fact]
    public Task CallDepth_AnUnusableValue_StillAnalysesWithTheDefault()
        => Sleep.Source(Deep(flagged: true)).WithEditorConfig("lockorder.max_call_depth = -3");

    [Fact]
    public Task AnUnusableGlobalValue_IsLock106WithoutALocation()
        => Option.Source("class C { }")
            .WithConfigFile("/.globalconfig", "is_global = true\nlockorder.cycles_need_table = maybe\n")
            .Expect(Option.Diagnostic("LOCK106").WithArguments(
                "lockorder.cycles_need_table", "'maybe' is not true or false: lockorder.cycles_need_table takes true or false; using false"));

    [Fact]
    public Task FilesThatDisagree_AreToldWhichValueIsUsed()
        => Option.Source("class A { }")
            .WithSource("class B { }")
            .WithConfigFile("/.editorconfig", "root = true\n[*.cs]\nlockorder.max_call_depth = 3\n[Test1.cs]\nlockorder.max_call_depth = 4\n")
            .Expect(Option.Diagnostic("LOCK106").WithSpan("/0/Test1.cs", 1, 1, 1, 6).WithArguments(
                "lockorder.max_call_depth", "'4' differs from '3' set for Test0.cs: lockorder.max_call_depth has one value per project; using '3' (set it once, in a .globalconfig or one [*.cs] section)"));

    [Fact]
    public Task ValidOptions_SayNothing()
        => Option.Source("namespace N { static class Io { public static void Flush() { } } }")
            .WithEditorConfig("lockorder.max_call_depth = 4\nlockorder.blocking_methods = N.Io.Flush, Other.Project.Api.Call\nlockorder.unknown_calls_may_sleep = true\nlockorder.cycles_need_table = False");

    private const string FlushUnderSpin = """
        using System.Threading;
        namespace N
        {
            static class Io { public static void Flush() { } }
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M() { bool t = false; _spin.Enter(ref t); try { CALL; } finally { if (t) _spin.Exit(); } }
            }
        }
        """;

    [Fact]
    public Task BlockingMethods_AreBlockingCalls()
        => Sleep.Source(FlushUnderSpin.Replace("CALL", "{|LOCK002:Io.Flush()|}", System.StringComparison.Ordinal))
            .WithEditorConfig("lockorder.blocking_methods = N.Io.Flush");

    [Fact]
    public Task BlockingMethods_ANameOfThisProjectThatDoesNotResolve_IsLock106()
        => Option.Source(FlushUnderSpin.Replace("CALL", "Io.Flush()", System.StringComparison.Ordinal))
            .WithEditorConfig("lockorder.blocking_methods = N.Io.Flsh, N.Io")
            .Expect(
                Option.Diagnostic("LOCK106").WithSpan(1, 1, 1, 6).WithArguments("lockorder.blocking_methods",
                    "'N.Io.Flsh' does not resolve in this compilation ('Flsh' not found): lockorder.blocking_methods takes Namespace.Type.Method names; it is left out"),
                Option.Diagnostic("LOCK106").WithSpan(1, 1, 1, 6).WithArguments("lockorder.blocking_methods",
                    "'N.Io' is a type, not a method: lockorder.blocking_methods takes Namespace.Type.Method names; it is left out"));

    [Fact]
    public Task BlockingMethods_Unset_TheCallIsClean()
        => Sleep.Source(FlushUnderSpin.Replace("CALL", "Io.Flush()", System.StringComparison.Ordinal));

    private const string FindUnderSpin = """
        using System.Threading;
        class C
        {
            private SpinLock _spin = new SpinLock(false);
            void M(int[] items) { bool t = false; _spin.Enter(ref t); try { CALL; } finally { if (t) _spin.Exit(); } }
        }
        """;

    [Fact]
    public Task InvokerMethods_RunTheirLambdaUnderTheCallersLock()
        => Sleep.Source(FindUnderSpin.Replace("CALL", "{|LOCK002:System.Array.Find(items, x => { Thread.Sleep(1); return true; })|}", System.StringComparison.Ordinal))
            .WithEditorConfig("lockorder.invoker_methods = System.Array.Find");

    [Fact]
    public Task InvokerMethods_Unset_ALambdaPassedToAMethodWithoutSourceIsNotRun()
        => Sleep.Source(FindUnderSpin.Replace("CALL", "System.Array.Find(items, x => { Thread.Sleep(1); return true; })", System.StringComparison.Ordinal));

    private const string WriteUnderSpin = """
        using System.Threading;
        class C
        {
            private SpinLock _spin = new SpinLock(false);
            void Mine() { }
            void M() { bool t = false; _spin.Enter(ref t); try { Mine(); CALL; } finally { if (t) _spin.Exit(); } }
        }
        """;

    [Fact]
    public Task UnknownCallsMaySleep_AMethodWithoutSourceUnderASpinlock()
        => Sleep.Source(WriteUnderSpin.Replace("CALL", "{|LOCK002:System.Console.WriteLine()|}", System.StringComparison.Ordinal))
            .WithEditorConfig("lockorder.unknown_calls_may_sleep = true");

    [Fact]
    public Task UnknownCallsMaySleep_Off_ByDefault()
        => Sleep.Source(WriteUnderSpin.Replace("CALL", "System.Console.WriteLine()", System.StringComparison.Ordinal));

    private const string Abba = """
        class C
        {
            private readonly object _a = new object(), _b = new object();
            void One() { lock (_a) { LOCK } }
            void Two() { lock (_b) { lock (_a) { } } }
        }
        """;

    [Fact]
    public Task CyclesNeedTable_NoTable_NoLock008()
        => Cycle.Source(Abba.Replace("LOCK", "lock (_b) { }", System.StringComparison.Ordinal)).WithEditorConfig("lockorder.cycles_need_table = true");

    [Fact]
    public Task CyclesNeedTable_WithATable_StillReported()
        => Cycle.Source(Abba.Replace("LOCK", "{|LOCK008:lock (_b)|} { }", System.StringComparison.Ordinal))
            .WithEditorConfig("lockorder.cycles_need_table = true")
            .WithTable("""{ "locks": [ { "name": "other", "kind": "mutex" } ] }""");
}

/// <summary>LOCK105: once per project that takes locks and has no lockorder.json.</summary>
public class MissingTableTests
{
    [Fact]
    public Task Flagged_ProjectWithLocksAndNoTable_Once()
        => NoTable.Source("""
            class C
            {
                private readonly object _a = new object();
                void One() { lock (_a) { } }
                void Two() { lock (_a) { } }
            }
            """).Expect(NoTable.Diagnostic("LOCK105"));

    [Fact]
    public Task Clean_WithATable()
        => NoTable.Source("""
            class C
            {
                private readonly object _a = new object();
                void One() { lock (_a) { } }
            }
            """).WithTable("""{ "locks": [ { "name": "a", "kind": "mutex", "symbol": "C._a" } ] }""");

    [Fact]
    public Task Clean_NoLocksNoNotice()
        => NoTable.Source("class C { void M() { } }");
}

/// <summary>Which lockorder.json is the project's: the one the LockOrderTable property names (the package passes
/// its full path), else the first; the others are ignored, and said to be; the same file twice is one table.</summary>
public class TableChoiceTests
{
    private const string First = """{ "locks": [ { "name": "a", "kind": "mutex", "symbol": "C._a" } ] }""";
    private const string Second = """{ "locks": [ { "name": "b", "kind": "mutex", "symbol": "C._b" }, { "name": "a", "kind": "mutex", "symbol": "C._a" } ] }""";

    private const string Source = """
        class C
        {
            private readonly object _a = new object(), _b = new object();
            void M() { lock (_a) { lock (_b) { } } }
        }
        """;

    [Fact]
    public Task TheTableTheLockOrderTablePropertyNames_IsUsed_TheOtherIgnored()
        => Verify<LockOrder.Rules.LockTableAnalyzer>.Source(Source)
            .WithAdditionalFile("/first/lockorder.json", First)
            .WithAdditionalFile("/second/lockorder.json", Second)
            .WithConfigFile("/.globalconfig", "is_global = true\nbuild_property.LockOrderTable = /second/lockorder.json\n")
            .Expect(Verify<LockOrder.Rules.LockTableAnalyzer>.Diagnostic("LOCK100").WithSpan("/first/lockorder.json", 1, 1, 1, 1).WithArguments(
                "only one lockorder.json is read per project and '/second/lockorder.json' is that one (set the LockOrderTable property to choose); this file is ignored"));

    [Fact]
    public Task TheChosenTableOrdersTheLocks()
        => Verify<LockOrder.Rules.DeclaredOrderAnalyzer>.Source(Source.Replace("lock (_b) { }", "{|LOCK001:lock (_b)|} { }", System.StringComparison.Ordinal))
            .WithAdditionalFile("/first/lockorder.json", First)
            .WithAdditionalFile("/second/lockorder.json", Second)
            .WithConfigFile("/.globalconfig", "is_global = true\nbuild_property.LockOrderTable = /second/lockorder.json\n");

    [Fact]
    public Task WithoutTheProperty_TheFirstIsUsed()
        => Verify<LockOrder.Rules.DeclaredOrderAnalyzer>.Source(Source)
            .WithAdditionalFile("/first/lockorder.json", First)
            .WithAdditionalFile("/second/lockorder.json", Second);
}
