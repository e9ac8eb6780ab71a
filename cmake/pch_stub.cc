// The translation unit that carries the shared precompiled headers
// (cmake/PrecompiledHeaders.cmake); it defines nothing.
