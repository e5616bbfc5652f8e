namespace Dean.Contracts.IndexAgent;

// The IndexAgent's population diversity (POST /api/v1/diversity/population).

public sealed record DiversityRequest(string[]? PopulationIds, double? Threshold = null);

public sealed record DiversityComponents(double Traits, double Strategies, double Code);

/// <param name="Recommendation">What the diversity defence would do at this diversity (for example <c>inject_mutation</c>).</param>
public sealed record DiversityResponse(double Diversity, DiversityComponents Components, string Recommendation, double Threshold);
