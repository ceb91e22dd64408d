using System;
using System.IO;
using System.Linq;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The analyzer in the real compiler: a scratch project outside the repository references the built
/// LockOrder.Analyzers.dll as an analyzer and is compiled by <c>dotnet build</c>.
/// </summary>
public sealed class RealBuildTests : IDisposable
{
    private const string Source = """
        using System.Threading;
        public class Worker
        {
            private SpinLock _spin = new SpinLock(false);
            public void Run()
            {
                bool taken = false;
                try
                {
                    _spin.Enter(ref taken);
                    Thread.Sleep(1);
                }
                finally
                {
                    if (taken) _spin.Exit();
                }
            }
        }
        """;

    /// <summary>Lock statements on System.Threading.Lock with nullable annotations on (the project enables them):
    /// the shape the real compiler leaves unlowered in the flow graph.</summary>
    private const string Modern = """
        using System.Threading;
        public class Modern
        {
            private readonly Lock _a = new Lock();
            private readonly Lock _b = new Lock();
            public void One() { lock (_a) { lock (_b) { } } }
            public void Two() { lock (_b) { lock (_a) { } } }
        }
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lockorder-e2e-" + Guid.NewGuid().ToString("N"));

    public RealBuildTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Fact]
    public void DotnetBuild_ReportsLock002_ForSpinLockAndSleep()
    {
        var (exit, output) = Build(editorConfig: null);
        Assert.True(exit == 0, output);
        var line = Assert.Single(output.Split('\n').Where(l => l.Contains("warning LOCK002", StringComparison.Ordinal)).Distinct());
        Assert.Contains("Worker.cs(11,13)", line, StringComparison.Ordinal);
        Assert.Contains("'Thread.Sleep' may sleep, but spinlock 'Worker._spin' is held", line, StringComparison.Ordinal);
    }

    [Fact]
    public void DotnetBuild_SeesLockStatementsOnSystemThreadingLock_WithNullableOn()
    {
        var (exit, output) = Build(editorConfig: null);
        Assert.True(exit == 0, output);
        // One cycle, reported once at its first edge, naming the other.
        var cycle = Assert.Single(output.Split('\n').Where(l => l.Contains("warning LOCK008", StringComparison.Ordinal)).Distinct());
        Assert.Contains("Modern.cs(6,37): warning LOCK008", cycle, StringComparison.Ordinal);
        Assert.Contains("at Modern.cs(7)", cycle, StringComparison.Ordinal);
    }

    [Fact]
    public void DotnetBuild_EditorConfigSeverity_MakesItAnError()
    {
        var (exit, output) = Build(editorConfig: "root = true\n[*.cs]\ndotnet_diagnostic.LOCK002.severity = error\n");
        Assert.NotEqual(0, exit);
        Assert.Contains("error LOCK002", output, StringComparison.Ordinal);
    }

    private (int Exit, string Output) Build(string? editorConfig)
    {
        var analyzer = Path.Combine(AppContext.BaseDirectory, "LockOrder.Analyzers.dll");
        File.WriteAllText(Path.Combine(_dir, "Scratch.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <Analyzer Include="{analyzer}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_dir, "Worker.cs"), Source);
        File.WriteAllText(Path.Combine(_dir, "Modern.cs"), Modern);
        if (editorConfig is not null)
        {
            File.WriteAllText(Path.Combine(_dir, ".editorconfig"), editorConfig);
        }

        return Dotnet.Run("build -nologo -nodeReuse:false -p:UseSharedCompilation=false", _dir);
    }
}
