;;; layers.el --- ghostwright layer dependencies file for Spacemacs -*- lexical-binding: t; -*-

;;; Commentary:

;; With transport `lsp', ghostwright reaches its server only through
;; lsp-mode, which the `lsp' layer provides.

;;; Code:

(defvar ghostwright-layer-transport)

(when (eq (bound-and-true-p ghostwright-layer-transport) 'lsp)
  (configuration-layer/declare-layer-dependencies '(lsp)))

;;; layers.el ends here
