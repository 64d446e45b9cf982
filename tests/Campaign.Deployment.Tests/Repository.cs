namespace Campaign.Deployment.Tests;

/// <summary>Paths in the repository these tests read (found from the test assembly's folder, not the working directory).</summary>
static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Campaign.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Campaign.sln not found in any folder above " + AppContext.BaseDirectory);
    }
}
