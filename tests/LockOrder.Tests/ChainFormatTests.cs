using System.Linq;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Xunit;

namespace LockOrder.Tests;

public class ChainFormatTests
{
    private static ChainStep[] Steps(int n) => Enumerable.Range(1, n).Select(i => new ChainStep("M" + i, Location.None)).ToArray();

    [Fact]
    public void ShortChainsAreShownWhole()
        => Assert.Equal("M1 -> M2 -> M3 -> M4 -> M5 -> M6", ChainStep.Format(Steps(6)));

    [Fact]
    public void LongChainsKeepBothEndsAndShortenTheMiddle()
        => Assert.Equal("M1 -> M2 -> M3 -> ... -> M11 -> M12", ChainStep.Format(Steps(12)));
}
