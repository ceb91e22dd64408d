using System.IO;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Cli.Graph;
using Xunit;

namespace LockOrder.Cli.Tests.Graph;

/// <summary>Bad input gives a clear error and a nonzero exit code, never a stack trace.</summary>
public class GraphCommandTests
{
    private static async Task<(int Code, string Out, string Error)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var parse = Program.CreateRoot().Parse(args);
        parse.InvocationConfiguration.Output = stdout;
        parse.InvocationConfiguration.Error = stderr;
        int code = await parse.InvokeAsync(cancellationToken: CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task MissingProject_IsBadInput()
    {
        var (code, _, error) = await Run("graph", "/no/such/Project.csproj");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("'/no/such/Project.csproj' does not exist", error, System.StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADirectoryOrAnotherFile_IsBadInput()
    {
        var directory = Directory.CreateTempSubdirectory("lockorder-graph-").FullName;
        var (code, _, error) = await Run("graph", directory);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("is a directory", error, System.StringComparison.Ordinal);

        var text = Path.Combine(directory, "notes.txt");
        await File.WriteAllTextAsync(text, "x");
        (code, _, error) = await Run("graph", text);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("is not a C# project", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingTable_IsBadInput()
    {
        var directory = Directory.CreateTempSubdirectory("lockorder-graph-").FullName;
        var project = Path.Combine(directory, "P.csproj");
        await File.WriteAllTextAsync(project, "<Project Sdk=\"Microsoft.NET.Sdk\" />");
        var (code, _, error) = await Run("graph", project, "--table", Path.Combine(directory, "lockorder.json"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("lockorder.json' does not exist", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownFormat_IsAUsageError()
    {
        var (code, _, error) = await Run("graph", "P.csproj", "--format", "png");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("png", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProjectMSBuildCannotLoad_PrintsWhyAndExits3()
    {
        var directory = Directory.CreateTempSubdirectory("lockorder-graph-").FullName;
        var project = Path.Combine(directory, "Broken.csproj");
        await File.WriteAllTextAsync(project, "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup>");
        var (code, _, error) = await Run("graph", project);
        Assert.Equal(ExitCodes.LoadFailed, code);
        Assert.Contains("MSBuild could not load", error, System.StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task APropertyThatIsNotNameValue_IsBadInput()
    {
        var (code, _, error) = await Run("graph", "P.csproj", "-p", "Configuration");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("'Configuration' is not name=value", error, System.StringComparison.Ordinal);
    }

    private const string Table = """
        { "locks": [
          { "name": "a", "kind": "mutex", "symbol": "P.Locks.A" },
          { "name": "b", "kind": "mutex", "symbol": "P.Locks.B" } ] }
        """;

    /// <summary>A restored project whose inverted acquisition (b, then a) is compiled only when the MSBuild property
    /// WithInversion is true.</summary>
    private static string InversionProject(string directory, string name = "P")
    {
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework><RootNamespace>P</RootNamespace></PropertyGroup>
              <ItemGroup Condition="'$(WithInversion)' != 'true'"><Compile Remove="Inversion.cs" /></ItemGroup>
              <ItemGroup><AdditionalFiles Include="lockorder.json" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "lockorder.json"), Table);
        File.WriteAllText(Path.Combine(directory, "Locks.cs"), """
            namespace P;
            public static partial class Locks
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
                public static void InOrder() { lock (A) { lock (B) { } } }
            }
            """);
        File.WriteAllText(Path.Combine(directory, "Inversion.cs"), """
            namespace P;
            public static partial class Locks
            {
                public static void Inverted() { lock (B) { lock (A) { } } }
            }
            """);
        var restore = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", "restore -nologo")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        restore.StandardOutput.ReadToEnd();
        restore.WaitForExit();
        Assert.Equal(0, restore.ExitCode);
        return Path.Combine(directory, name + ".csproj");
    }

    [Fact]
    public async Task MSBuildProperties_AreGivenToTheLoad()
    {
        var project = InversionProject(Directory.CreateTempSubdirectory("lockorder-graph-").FullName);

        var (code, json, error) = await Run("graph", project, "--format", "json");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.DoesNotContain("\"forbidden\"", json, System.StringComparison.Ordinal);
        Assert.Contains("\"ordinary\"", json, System.StringComparison.Ordinal);

        (code, json, error) = await Run("graph", project, "--format", "json", "-p", "WithInversion=true");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("\"forbidden\"", json, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProjectThatFailsToLoad_IsAWarning_WhenOthersLoad()
    {
        var directory = Directory.CreateTempSubdirectory("lockorder-graph-").FullName;
        var good = InversionProject(Directory.CreateDirectory(Path.Combine(directory, "Good")).FullName, "Good");
        var broken = Path.Combine(Directory.CreateDirectory(Path.Combine(directory, "Broken")).FullName, "Broken.csproj");
        await File.WriteAllTextAsync(broken, "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup>");
        var solution = Path.Combine(directory, "Both.sln");
        await File.WriteAllTextAsync(solution, $$"""
            Microsoft Visual Studio Solution File, Format Version 12.00
            # Visual Studio Version 17
            Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Good", "Good{{Path.DirectorySeparatorChar}}Good.csproj", "{11111111-1111-1111-1111-111111111111}"
            EndProject
            Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Broken", "Broken{{Path.DirectorySeparatorChar}}Broken.csproj", "{22222222-2222-2222-2222-222222222222}"
            EndProject
            Global
            EndGlobal
            """);

        var (code, json, error) = await Run("graph", solution, "--format", "json");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("warning: MSBuild:", error, System.StringComparison.Ordinal);
        Assert.Contains("Broken.csproj", error, System.StringComparison.Ordinal);
        Assert.Contains("\"ordinary\"", json, System.StringComparison.Ordinal);
        Assert.True(File.Exists(good));
    }
}
