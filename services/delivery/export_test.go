package delivery

// TempName lets the specs make temp names exactly as delivery does.
var TempName = tempName
