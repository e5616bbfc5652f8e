namespace Dean.Economy;

/// <summary>Marks this service's assembly (its embedded migrations, for tools and tests).</summary>
public static class EconomyAssembly;
